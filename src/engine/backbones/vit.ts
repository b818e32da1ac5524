// Vision Transformer (Dosovitskiy et al. 2021) as MoCo v3 trains it (facebookresearch/moco-v3
// vits.py over timm's VisionTransformer): patch embedding, class token, position embeddings,
// pre-norm blocks (LayerNorm eps 1e-6, multi-head self-attention with qkv bias, MLP with exact GELU),
// final LayerNorm. Initialisation as MoCo v3: xavier-uniform linears (q, k and v each as its own
// matrix) with zero biases, xavier-uniform patch projection over the flattened patch, class token
// N(0, 1e-6); learned position embeddings N(0, 0.02) (timm's trunc-normal, whose +-2 bounds are
// absolute and never bind at that std). Parameter names follow timm's state dict.
import * as tf from '@tensorflow/tfjs';
import { type Ctx, linear } from '../layers.ts';
import type { ParamSource } from '../params.ts';
import { layerNorm } from '../layerNorm.ts';
import { gelu } from '../gelu.ts';
import { softmax } from '../kernels/softmax.ts';
import { recomputed } from '../recompute.ts';
import type { VitOptions } from './vitOptions.ts';
import { sincosPositionEmbedding } from './sincos.ts';

export interface VitSpec {
  dim: number;
  depth: number;
  heads: number;
  /** MLP hidden width / dim */
  mlpRatio: number;
}

const xavier = (fanIn: number, fanOut: number) => ({
  weight: { kind: 'uniform', bound: Math.sqrt(6 / (fanIn + fanOut)) },
  bias: { kind: 'constant', value: 0 },
} as const);

/** [n, h, w, c] -> [n * patches, p * p * c], each patch row-major (h, w, c): the HWIO kernel's layout */
function patchRows(x: tf.Tensor4D, p: number): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  const grid = tf.transpose(tf.reshape(x, [n, h / p, p, w / p, p, c]), [0, 1, 3, 2, 4, 5]);
  return tf.reshape(grid, [n * (h / p) * (w / p), p * p * c]);
}

/** [1, 1 + rows * cols, dim]: fixed sin-cos, or the learned table (resized bilinearly to other grids). */
function positionEmbedding(ctx: Ctx, opts: VitOptions, imageSize: number, rows: number, cols: number, dim: number): tf.Tensor3D {
  if (opts.posEmbed === 'sincos') return tf.tensor3d(sincosPositionEmbedding(rows, cols, dim), [1, 1 + rows * cols, dim]);
  const g = imageSize / opts.patchSize;
  const table = ctx.store.getOrCreate('pos_embed', [1, 1 + g * g, dim], { kind: 'normal', std: 0.02 });
  if (rows === g && cols === g) return table as tf.Tensor3D;
  const cls = tf.slice(table, [0, 0, 0], [1, 1, dim]);
  const grid = tf.image.resizeBilinear(tf.reshape(tf.slice(table, [0, 1, 0], [1, g * g, dim]), [1, g, g, dim]) as tf.Tensor4D, [rows, cols]);
  return tf.concat([cls, tf.reshape(grid, [1, rows * cols, dim])], 1) as tf.Tensor3D;
}

/** Multi-head self-attention over x [n * tokens, dim]. */
function attention(ctx: Ctx, name: string, x: tf.Tensor2D, n: number, tokens: number, heads: number): tf.Tensor2D {
  const dim = x.shape[1];
  const headDim = dim / heads;
  const qkv = linear(ctx, `${name}.qkv`, x, 3 * dim, true, xavier(dim, dim));
  // [n, tokens, 3, heads, headDim] -> [3, n, heads, tokens, headDim]
  const split = tf.transpose(tf.reshape(qkv, [n, tokens, 3, heads, headDim]), [2, 0, 3, 1, 4]);
  const [q, k, v] = tf.split(split, 3, 0).map((t) => tf.reshape(t, [n * heads, tokens, headDim]) as tf.Tensor3D);
  const weights = softmax(tf.matMul(tf.mul(q, 1 / Math.sqrt(headDim)), k, false, true));
  const out = tf.transpose(tf.reshape(tf.matMul(weights, v), [n, heads, tokens, headDim]), [0, 2, 1, 3]);
  return linear(ctx, `${name}.proj`, tf.reshape(out, [n * tokens, dim]), dim, true, xavier(dim, dim));
}

function block(ctx: Ctx, name: string, x: tf.Tensor2D, n: number, tokens: number, spec: VitSpec): tf.Tensor2D {
  const { dim, heads, mlpRatio } = spec;
  const hidden = dim * mlpRatio;
  const y = tf.add(x, attention(ctx, `${name}.attn`, layerNorm(ctx, `${name}.norm1`, x), n, tokens, heads)) as tf.Tensor2D;
  const h = gelu(linear(ctx, `${name}.mlp.fc1`, layerNorm(ctx, `${name}.norm2`, y), hidden, true, xavier(dim, hidden)));
  return tf.add(y, linear(ctx, `${name}.mlp.fc2`, h, dim, true, xavier(hidden, dim))) as tf.Tensor2D;
}

/** Features [n, dim] of images [n, h, w, c] (h and w multiples of the patch size); with
 * `checkpointBlocks` each block keeps only its input for the backward pass (recompute.ts). */
export function vit(ctx: Ctx, spec: VitSpec, opts: VitOptions, imageSize: number, x: tf.Tensor4D, checkpointBlocks = false): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  const p = opts.patchSize;
  if (h % p || w % p) throw new Error(`a ${h}x${w} input is not a multiple of patchSize ${p}`);
  const { dim } = spec;
  const rows = h / p;
  const cols = w / p;
  const tokens = 1 + rows * cols;

  const kernel = ctx.store.getOrCreate('patch_embed.proj.weight', [p, p, c, dim], xavier(p * p * c, dim).weight);
  const bias = ctx.store.getOrCreate('patch_embed.proj.bias', [dim], { kind: 'constant', value: 0 });
  const patches = tf.add(tf.matMul(patchRows(x, p), tf.reshape(kernel, [p * p * c, dim])), bias);
  const clsToken = ctx.store.getOrCreate('cls_token', [1, 1, dim], { kind: 'normal', std: 1e-6 });
  const embedded = tf.add(
    tf.concat([tf.tile(clsToken, [n, 1, 1]), tf.reshape(patches, [n, rows * cols, dim])], 1),
    positionEmbedding(ctx, opts, imageSize, rows, cols, dim),
  );

  let y = tf.reshape(embedded, [n * tokens, dim]) as tf.Tensor2D;
  for (let i = 0; i < spec.depth; i++) {
    const name = `blocks.${i}`;
    const run = (store: ParamSource, input: tf.Tensor2D) => block({ ...ctx, store }, name, input, n, tokens, spec);
    // a block's parameter shapes depend on its name, width and MLP width only
    y = checkpointBlocks ? recomputed(ctx.store, `vit ${name} ${dim} ${spec.mlpRatio}`, y, run) : run(ctx.store, y);
  }
  const out = tf.reshape(layerNorm(ctx, 'norm', y), [n, tokens, dim]);
  if (opts.pool === 'cls') return tf.reshape(tf.slice(out, [0, 0, 0], [n, 1, dim]), [n, dim]);
  return tf.mean(tf.slice(out, [0, 1, 0], [n, tokens - 1, dim]), 1) as tf.Tensor2D;
}
