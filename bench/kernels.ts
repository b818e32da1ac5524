// Micro-benchmark of the wasm conv kernels at the tiny ResNet's layer shapes (28x28, batch 128):
// forward Conv2D, the built-in Conv2DBackpropInput against ours, and our Conv2DBackpropFilter.
// Prints one JSON line per layer, median ms over a few runs.
//   node --import tsx bench/kernels.ts [--batch-size 128] [--runs 5]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../src/engine/kernels/index.ts';
import { median } from './stats.ts';
import { TINY_RESNET_CONV_LAYERS } from './tinyResnetLayers.ts';

const { values } = parseArgs({ options: { 'batch-size': { type: 'string', default: '128' }, runs: { type: 'string', default: '5' } } });
const n = Number(values['batch-size']);
const runs = Number(values.runs);

await tf.setBackend('wasm');
const builtinBackpropInput = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
registerWasmTrainingKernels();

const layers = TINY_RESNET_CONV_LAYERS;

function time(run: () => tf.Tensor): number {
  const samples: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const start = performance.now();
    const out = run();
    out.dataSync();
    out.dispose();
    if (i > 0) samples.push(performance.now() - start); // the first run builds XNNPACK operators
  }
  return Math.round(median(samples) * 100) / 100;
}

for (const l of layers) {
  const pad = Math.floor(l.k / 2);
  const x = tf.randomNormal([n, l.hw, l.hw, l.ci]) as tf.Tensor4D;
  const w = tf.randomNormal([l.k, l.k, l.ci, l.co]) as tf.Tensor4D;
  const y = tf.conv2d(x, w, l.s, pad);
  const dy = tf.randomNormal(y.shape);
  const attrs = { strides: [l.s, l.s], pad, dataFormat: 'NHWC' };
  const backpropInput = () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor;
  const forwardMs = time(() => tf.conv2d(x, w, l.s, pad));
  const inputMs = time(backpropInput);
  const filterMs = time(() => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor);
  tf.unregisterKernel(tf.Conv2DBackpropInput, 'wasm');
  tf.registerKernel(builtinBackpropInput);
  const builtinInputMs = time(backpropInput);
  registerWasmTrainingKernels();
  console.log(JSON.stringify({ layer: l.name, shape: [n, l.hw, l.hw, l.ci], k: l.k, stride: l.s, co: l.co, forwardMs, backpropInputMs: inputMs, builtinBackpropInputMs: builtinInputMs, backpropFilterMs: filterMs }));
  tf.dispose([x, w, y, dy]);
}
