// A ViT (backbones/vit.ts) in built-in tfjs-layers only, so the exported model loads without code of
// ours. tfjs-layers has no attention layer and no way to add a learned tensor, hence:
// - each head is three Dense layers cut from the qkv weights (the 1/sqrt(head dim) scale folded into
//   q), Dot layers for q.k^T and weights.v, a Softmax layer, and Concatenate before the projection;
// - the class token and the position embeddings are the biases of Dense layers with zero kernels over
//   the globally pooled image (any finite input gives exactly the bias);
// - pooling over tokens is a Dense layer (no bias) over the transposed tokens: weight 1 on the class
//   token, or 1/patches on every patch token.
import * as tf from '@tensorflow/tfjs';
import type { NamedArray } from './checkpoint.ts';
import type { VitSpec } from './backbones/vit.ts';
import type { VitOptions } from './backbones/vitOptions.ts';
import { sincosPositionEmbedding } from './backbones/sincos.ts';
import { LN_EPS } from './layerNorm.ts';
import { type LayersGraph, type Values, type WeightAssignment, layerName, parameterLookup } from './layersGraph.ts';

type Sym = tf.SymbolicTensor;

/** Columns [from, from + count) of a [rows, cols] matrix (or of a vector), times `scale`. */
function columns({ data, shape }: Values, from: number, count: number, scale = 1): Values {
  const rows = shape.length === 2 ? shape[0] : 1;
  const cols = shape[shape.length - 1];
  const out = new Float32Array(rows * count);
  for (let r = 0; r < rows; r++) for (let c = 0; c < count; c++) out[r * count + c] = data[r * cols + from + c] * scale;
  return { data: out, shape: shape.length === 2 ? [rows, count] : [count] };
}

export function vitLayersGraph(spec: VitSpec, opts: VitOptions, imageSize: number, channels: number, backbone: NamedArray[]): LayersGraph {
  const param = parameterLookup(backbone);
  const assignments: WeightAssignment[] = [];
  const { dim, heads } = spec;
  const headDim = dim / heads;
  const grid = imageSize / opts.patchSize;
  const tokens = 1 + grid * grid;
  const apply = <L extends tf.layers.Layer>(layer: L, x: Sym | Sym[], values?: Values[]): Sym => {
    if (values) assignments.push({ layer, values });
    return layer.apply(x) as Sym;
  };
  const dense = (name: string, x: Sym, units: number, values: Values[], activation?: 'gelu') =>
    apply(tf.layers.dense({ units, activation, name: layerName(name) }), x, values);
  const linear = (name: string, x: Sym, units: number) => dense(name, x, units, [param(`${name}.weight`), param(`${name}.bias`)]);
  const norm = (name: string, x: Sym) =>
    apply(tf.layers.layerNormalization({ axis: -1, epsilon: LN_EPS, name: layerName(name) }), x, [param(`${name}.weight`), param(`${name}.bias`)]);
  /** [1, size] rows of `values` as a constant [rows, size / rows] sequence */
  const constant = (name: string, pooled: Sym, values: Values, rows: number) => {
    const size = values.data.length;
    const zeros = { data: new Float32Array(channels * size), shape: [channels, size] };
    const flat = dense(name, pooled, size, [zeros, { data: values.data, shape: [size] }]);
    return apply(tf.layers.reshape({ targetShape: [rows, size / rows], name: layerName(`${name}.reshape`) }), flat);
  };

  const input = tf.input({ shape: [imageSize, imageSize, channels], name: 'image' });
  const patchConv = tf.layers.conv2d({ filters: dim, kernelSize: opts.patchSize, strides: opts.patchSize, padding: 'valid', name: 'patch_embed_proj' });
  const patches = apply(tf.layers.reshape({ targetShape: [grid * grid, dim], name: 'patch_tokens' }), apply(patchConv, input, [param('patch_embed.proj.weight'), param('patch_embed.proj.bias')]));
  const pooled = apply(tf.layers.globalAveragePooling2d({ name: 'image_mean' }), input);
  const positions = opts.posEmbed === 'sincos' ? { data: sincosPositionEmbedding(grid, grid, dim), shape: [tokens * dim] } : param('pos_embed');
  let x = apply(tf.layers.add({ name: 'embedded' }), [
    apply(tf.layers.concatenate({ axis: 1, name: 'tokens' }), [constant('cls_token', pooled, param('cls_token'), 1), patches]),
    constant('pos_embed', pooled, positions, tokens),
  ]);

  for (let i = 0; i < spec.depth; i++) {
    const name = `blocks.${i}`;
    const h = norm(`${name}.norm1`, x);
    const qkv = [param(`${name}.attn.qkv.weight`), param(`${name}.attn.qkv.bias`)];
    const outs = Array.from({ length: heads }, (_, j) => {
      const part = (s: number, label: string, scale = 1) =>
        dense(`${name}.attn.${label}${j}`, h, headDim, qkv.map((v) => columns(v, s * dim + j * headDim, headDim, scale)));
      const q = part(0, 'q', 1 / Math.sqrt(headDim));
      const scores = apply(tf.layers.dot({ axes: [2, 2], name: layerName(`${name}.attn.scores${j}`) }), [q, part(1, 'k')]);
      const weights = apply(tf.layers.softmax({ axis: -1, name: layerName(`${name}.attn.softmax${j}`) }), scores);
      return apply(tf.layers.dot({ axes: [2, 1], name: layerName(`${name}.attn.out${j}`) }), [weights, part(2, 'v')]);
    });
    const merged = heads > 1 ? apply(tf.layers.concatenate({ axis: -1, name: layerName(`${name}.attn.heads`) }), outs) : outs[0];
    x = apply(tf.layers.add({ name: layerName(`${name}.add1`) }), [x, linear(`${name}.attn.proj`, merged, dim)]);
    const fc1 = dense(`${name}.mlp.fc1`, norm(`${name}.norm2`, x), dim * spec.mlpRatio, [param(`${name}.mlp.fc1.weight`), param(`${name}.mlp.fc1.bias`)], 'gelu');
    x = apply(tf.layers.add({ name: layerName(`${name}.add2`) }), [x, linear(`${name}.mlp.fc2`, fc1, dim)]);
  }
  x = norm('norm', x);
  const tokenWeights = new Float32Array(tokens);
  if (opts.pool === 'cls') tokenWeights[0] = 1;
  else tokenWeights.fill(1 / (tokens - 1), 1);
  const channelsFirst = apply(tf.layers.permute({ dims: [2, 1], name: 'channels_first' }), x);
  const pool = apply(tf.layers.dense({ units: 1, useBias: false, name: 'pool' }), channelsFirst, [{ data: tokenWeights, shape: [tokens, 1] }]);
  const features = apply(tf.layers.flatten({ name: 'features' }), pool);
  const description = opts.pool === 'cls' ? 'the class token after the final LayerNorm' : 'the mean of the patch tokens after the final LayerNorm';
  return { input, features, assignments, description };
}
