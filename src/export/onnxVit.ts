// A ViT backbone (backbones/vit.ts) as an ONNX graph (opset 17, for LayerNormalization): the patch
// embedding as a strided Conv, the class token Expanded to the batch and Concatenated, the position
// embeddings Added; per block LayerNormalization, attention from Gemm, Reshape, Transpose, MatMul
// and Softmax, and the MLP with exact GELU (Erf); the final LayerNormalization, then the class token
// or the mean of the patch tokens. Tokens run as [N * tokens, dim] between blocks, as in the engine,
// so every linear is a Gemm over the timm-layout [out, in] weight (transB). Input `image`
// [N, C, imageSize, imageSize]: the token count and position table are fixed at the job's image size.
import { LN_EPS, type VitOptions, type VitSpec } from '../engine/index.ts';
import type { TorchTensor } from './torchState.ts';
import { OnnxGraph, float, int, ints } from './onnxGraph.ts';

export interface VitOnnxOptions {
  spec: VitSpec;
  vit: VitOptions;
  imageSize: number;
  channels: number;
  /** metadata_props of the model (preprocessing, source job) */
  metadata: Record<string, string>;
}

export function vitOnnx(state: TorchTensor[], opts: VitOnnxOptions): Uint8Array {
  const { dim, heads, depth } = opts.spec;
  const { patchSize, pool } = opts.vit;
  const headDim = dim / heads;
  const patches = (opts.imageSize / patchSize) ** 2;
  const tokens = 1 + patches;
  const g = new OnnxGraph(state);
  const flatTokens = g.int64([-1, dim]);
  const index = [0, 1, 2].map((i) => g.int64(i));

  const linear = (name: string, x: string) => g.node('Gemm', [x, g.param(`${name}.weight`), g.param(`${name}.bias`)], [int('transB', 1)]);
  const layerNorm = (name: string, x: string) =>
    g.node('LayerNormalization', [x, g.param(`${name}.weight`), g.param(`${name}.bias`)], [int('axis', -1), float('epsilon', LN_EPS)]);
  const invSqrt2 = g.scalar(Math.SQRT1_2);
  const one = g.scalar(1);
  const half = g.scalar(0.5);
  // 0.5 x (1 + erf(x / sqrt 2))
  const gelu = (x: string) => g.node('Mul', [g.node('Mul', [x, half]), g.node('Add', [g.node('Erf', [g.node('Mul', [x, invSqrt2])]), one])]);

  const qkvShape = g.int64([-1, tokens, 3, heads, headDim]);
  const scale = g.scalar(1 / Math.sqrt(headDim));
  const attention = (name: string, x: string) => {
    // [N * tokens, 3 dim] -> [3, N, heads, tokens, headDim]
    const split = g.node('Transpose', [g.node('Reshape', [linear(`${name}.qkv`, x), qkvShape])], [ints('perm', [2, 0, 3, 1, 4])]);
    const [q, k, v] = index.map((i) => g.node('Gather', [split, i], [int('axis', 0)]));
    const keysT = g.node('Transpose', [k], [ints('perm', [0, 1, 3, 2])]);
    const weights = g.node('Softmax', [g.node('MatMul', [g.node('Mul', [q, scale]), keysT])], [int('axis', -1)]);
    const out = g.node('Transpose', [g.node('MatMul', [weights, v])], [ints('perm', [0, 2, 1, 3])]);
    return linear(`${name}.proj`, g.node('Reshape', [out, flatTokens]));
  };

  // [N, dim, rows, cols] -> [N, patches, dim]
  const conv = g.node('Conv', ['image', g.param('patch_embed.proj.weight'), g.param('patch_embed.proj.bias')], [
    ints('kernel_shape', [patchSize, patchSize]),
    ints('strides', [patchSize, patchSize]),
  ]);
  const patchTokens = g.node('Transpose', [g.node('Reshape', [conv, g.int64([0, dim, patches])])], [ints('perm', [0, 2, 1])]);
  const batch = g.node('Slice', [g.node('Shape', ['image']), g.int64([0]), g.int64([1])]);
  const cls = g.node('Expand', [g.param('cls_token'), g.node('Concat', [batch, g.int64([1, dim])], [int('axis', 0)])]);
  const embedded = g.node('Add', [g.node('Concat', [cls, patchTokens], [int('axis', 1)]), g.param('pos_embed')]);

  let x = g.node('Reshape', [embedded, flatTokens]);
  for (let i = 0; i < depth; i++) {
    const block = `blocks.${i}`;
    x = g.node('Add', [x, attention(`${block}.attn`, layerNorm(`${block}.norm1`, x))]);
    x = g.node('Add', [x, linear(`${block}.mlp.fc2`, gelu(linear(`${block}.mlp.fc1`, layerNorm(`${block}.norm2`, x))))]);
  }
  const out = g.node('Reshape', [layerNorm('norm', x), g.int64([-1, tokens, dim])]);
  if (pool === 'cls') g.node('Gather', [out, index[0]], [int('axis', 1)], 'features');
  else g.node('ReduceMean', [g.node('Slice', [out, g.int64([1]), g.int64([tokens]), g.int64([1])])], [ints('axes', [1]), int('keepdims', 0)], 'features');

  return g.encode({
    opset: 17,
    irVersion: 8,
    docString: `SimSiam ViT backbone: ${pool === 'cls' ? 'the class token' : 'the mean of the patch tokens'} after the final LayerNorm`,
    input: ['batch', opts.channels, opts.imageSize, opts.imageSize],
    output: ['batch', dim],
    metadata: opts.metadata,
  });
}
