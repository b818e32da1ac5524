// oneDNN convolutions of the native kernel pack (src/engine/kernels/native, npm run build:native) against our
// wasm kernels at the tiny ResNet's layer shapes, batch 128. Checks oneDNN's results against wasm
// and prints one JSON line per layer with the median CPU ms of each of the three convolutions (CPU
// time, not wall: the machines are shared; with OMP_NUM_THREADS=1 both sides run one thread).
//   npm run build:native
//   OMP_NUM_THREADS=1 node --import tsx bench/native.ts
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../src/engine/kernels/index.ts';
import { ConvKind, type ConvGeometry, loadNativeKernels, runConv } from '../src/engine/kernels/native/index.ts';
import { median } from './stats.ts';
import { TINY_RESNET_CONV_LAYERS } from './tinyResnetLayers.ts';

const native = loadNativeKernels();
if (!native) throw new Error('native oneDNN module not built (see the header of this file)');
registerWasmTrainingKernels({ native: false });
await tf.setBackend('wasm');

const n = 128;
const layers = TINY_RESNET_CONV_LAYERS;

function time(run: () => void): number {
  const samples: number[] = [];
  for (let i = 0; i < 6; i++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    if (i > 0) samples.push((used.user + used.system) / 1000);
  }
  return Math.round(median(samples) * 100) / 100;
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

for (const l of layers) {
  const pad = Math.floor(l.k / 2);
  const x = tf.randomNormal([n, l.hw, l.hw, l.ci]) as tf.Tensor4D;
  const w = tf.randomNormal([l.k, l.k, l.ci, l.co]) as tf.Tensor4D;
  const y = tf.conv2d(x, w, l.s, pad);
  const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
  const attrs = { strides: [l.s, l.s], pad, dataFormat: 'NHWC' };
  const wasm = {
    forward: () => tf.conv2d(x, w, l.s, pad),
    backwardData: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor,
    backwardWeights: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor,
  };
  const [, oh, ow] = y.shape;
  const g: ConvGeometry = {
    n, h: l.hw, w: l.hw, ci: l.ci, kh: l.k, kw: l.k, co: l.co, oh, ow, strideH: l.s, strideW: l.s,
    // as tfjs's padInfo: never negative (a strided 1×1 leaves the last row unread rather than padding -1)
    padTop: pad, padLeft: pad,
    padBottom: Math.max(0, (oh - 1) * l.s + l.k - l.hw - pad), padRight: Math.max(0, (ow - 1) * l.s + l.k - l.hw - pad),
  };
  const xs = x.dataSync() as Float32Array, ws = w.dataSync() as Float32Array, dys = dy.dataSync() as Float32Array;
  const operands = {
    forward: [ConvKind.forward, xs, ws, new Float32Array(y.size)],
    backwardData: [ConvKind.backwardData, dys, ws, new Float32Array(x.size)],
    backwardWeights: [ConvKind.backwardWeights, xs, dys, new Float32Array(w.size)],
  } as const;
  const result: Record<string, unknown> = { layer: l.name, shape: [n, l.hw, l.hw, l.ci], k: l.k, stride: l.s, co: l.co };
  for (const kind of ['forward', 'backwardData', 'backwardWeights'] as const) {
    const [code, a, b, out] = operands[kind];
    const run = () => runConv(native, code, a, b, out, g);
    const expected = wasm[kind]();
    run();
    result[`${kind}Error`] = Number(relativeError(out, expected.dataSync() as Float32Array).toExponential(1));
    expected.dispose();
    result[`${kind}OnednnMs`] = time(run);
    result[`${kind}WasmMs`] = time(() => {
      const out = wasm[kind]();
      out.dataSync();
      out.dispose();
    });
  }
  console.log(JSON.stringify(result));
  tf.dispose([x, w, y, dy]);
}
