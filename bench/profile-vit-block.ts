// Where a ViT training step's time goes, one transformer block at a time: forward and backward of a
// pre-norm block (LayerNorm, multi-head attention, GELU MLP; the engine's layers) on one view's
// tokens, under tf.profile. Prints kernel time per kernel name and the share spent in attention.
// --kernels wasm --softmax tf is the "before" (our wasm kernels, tfjs's softmax gradient).
//   node --import tsx bench/profile-vit-block.ts [--dim 128 --heads 4] [--batch-size 128] [--tokens 65] [--kernels native|wasm] [--softmax fused|tf]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { Prng, initBackend } from '../src/engine/index.ts';
import { registerWasmTrainingKernels } from '../src/engine/kernels/index.ts';
import { softmax } from '../src/engine/kernels/softmax.ts';
import { gelu } from '../src/engine/gelu.ts';
import { layerNorm } from '../src/engine/layerNorm.ts';
import { type Ctx, linear } from '../src/engine/layers.ts';
import { ParamStore } from '../src/engine/params.ts';
import { attentionShare, kernelsByTime } from './kernelProfile.ts';

const { values: args } = parseArgs({
  options: {
    dim: { type: 'string', default: '128' },
    heads: { type: 'string', default: '4' },
    'batch-size': { type: 'string', default: '128' },
    tokens: { type: 'string', default: '65' },
    kernels: { type: 'string', default: 'native' },
    softmax: { type: 'string', default: 'fused' },
    top: { type: 'string', default: '15' },
  },
});
const [dim, heads, n, tokens] = ['dim', 'heads', 'batch-size', 'tokens'].map((k) => Number(args[k as keyof typeof args]));
const headDim = dim / heads;
const attend = args.softmax === 'fused' ? softmax : tf.softmax;

const kernels = registerWasmTrainingKernels({ native: args.kernels === 'native' });
const { threads } = await initBackend('wasm');

function block(ctx: Ctx, x: tf.Tensor2D): tf.Tensor2D {
  const qkv = linear(ctx, 'attn.qkv', layerNorm(ctx, 'norm1', x), 3 * dim, true);
  const split = tf.transpose(tf.reshape(qkv, [n, tokens, 3, heads, headDim]), [2, 0, 3, 1, 4]);
  const [q, k, v] = tf.split(split, 3, 0).map((t) => tf.reshape(t, [n * heads, tokens, headDim]));
  const scores = attend(tf.matMul(tf.mul(q, 1 / Math.sqrt(headDim)), k, false, true));
  const mixed = tf.reshape(tf.transpose(tf.reshape(tf.matMul(scores, v), [n, heads, tokens, headDim]), [0, 2, 1, 3]), [n * tokens, dim]);
  const y = tf.add(x, linear(ctx, 'attn.proj', mixed as tf.Tensor2D, dim, true)) as tf.Tensor2D;
  const hidden = gelu(linear(ctx, 'mlp.fc1', layerNorm(ctx, 'norm2', y), 4 * dim, true));
  return tf.add(y, linear(ctx, 'mlp.fc2', hidden, dim, true)) as tf.Tensor2D;
}

const ctx = { store: new ParamStore(new Prng(0)), training: true };
const x = tf.randomNormal([n * tokens, dim]) as tf.Tensor2D;
const weights = tf.randomNormal([n * tokens, dim]);
tf.tidy(() => block(ctx, x)); // creates the parameters
const step = () => tf.tidy(() => tf.variableGrads(() => tf.sum(tf.mul(block(ctx, x), weights)) as tf.Scalar).grads);
tf.dispose(step());
tf.dispose(step());
const start = performance.now();
const info = await tf.profile(() => tf.dispose(step()));
const wallMs = Math.round(performance.now() - start);
console.log(JSON.stringify({
  kernels, threads, softmax: args.softmax, dim, heads, batchSize: n, tokens, wallMs,
  ...attentionShare(info.kernels, { tokens, headDim }),
  kernelsByTime: kernelsByTime(info.kernels, Number(args.top)),
}));
