// Training-step benchmark of the engine's Trainer (augmentation + every view forward and backward +
// the optimizer's update + the method's state updates) on random uint8 images. Prints ONE JSON line
// with the method's own settings (head sizes, temperature, queue, prototypes...) and views; one
// image = all of its views.
//   npm run bench:train -- [--method simsiam|simclr|moco-v2|byol|swav|moco-v3] --backbone resnet-tiny --image-size 28 --channels 1 --batch-size 128 --steps 20 [--backend wasm|cpu]
// --config takes any other job config fields as JSON, e.g. '{"queueSize":16384}' or '{"smallCrops":2}'.
// --reference-state FILE writes the trainer's state after the timed steps for the PyTorch reference
// (bench/reference/method_step.py; bench/compare.ts runs both).
// --kernels picks the wasm kernel set: native (the default where the native pack is built:
// oneDNN convolutions and sgemm, fused batch norm and SGD; threads: OMP_NUM_THREADS), wasm (our wasm
// kernels only), filter-only (the "before" figure: wasm's own kernels everywhere except the filter
// gradient, which wasm lacks, so conv nets could not train at all).
// `memory` breaks the peak RSS down (docs/performance.md, "Engine memory"): the process before
// training, the wasm heap (it never shrinks, so its size is its high-water mark), the most bytes of
// tensor data alive at once in it, the native pack's kept convolution scratch, and V8's heap.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { resolveTrainingConfig } from '../src/domain/trainingConfig.ts';
import { type BackendName, Prng, Trainer, initBackend, augmentViews } from '../src/engine/index.ts';
import { registerWasmTrainingKernels, wasmTrainingKernels } from '../src/engine/kernels/index.ts';
import { METHOD_SETTINGS } from '../src/engine/methods/settings.ts';
import { referenceInput } from './reference/referenceInput.ts';
import { loadNativeKernels } from '../src/engine/kernels/native/index.ts';
import { median } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    method: { type: 'string', default: 'simsiam' },
    backbone: { type: 'string', default: 'resnet-tiny' },
    'image-size': { type: 'string', default: '28' },
    channels: { type: 'string', default: '1' },
    'batch-size': { type: 'string', default: '128' },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '2' },
    backend: { type: 'string', default: 'wasm' },
    kernels: { type: 'string', default: 'native' },
    'projector-dim': { type: 'string' },
    'predictor-hidden-dim': { type: 'string' },
    'projector-layers': { type: 'string' },
    config: { type: 'string', default: '{}' },
    'reference-state': { type: 'string' },
  },
});

const optional = (name: string) => (args[name as keyof typeof args] === undefined ? {} : { [name.replace(/-(.)/g, (_, c: string) => c.toUpperCase())]: Number(args[name as keyof typeof args]) });
const resolved = resolveTrainingConfig({
  ...(JSON.parse(args.config as string) as Record<string, unknown>),
  method: args.method,
  backbone: args.backbone,
  imageSize: Number(args['image-size']),
  channels: Number(args.channels),
  batchSize: Number(args['batch-size']),
  ...optional('projector-dim'),
  ...optional('predictor-hidden-dim'),
  ...optional('projector-layers'),
});
if ('issues' in resolved) throw new Error(`invalid config: ${JSON.stringify(resolved.issues)}`);
const { config } = resolved;

if (!['native', 'wasm', 'filter-only'].includes(args.kernels as string)) throw new Error('--kernels must be native|wasm|filter-only');
const builtins = wasmTrainingKernels.map((k) => tf.getKernel(k.kernelName, 'wasm')).filter((k) => k && k.kernelName !== tf.Conv2DBackpropFilter);
const kernels = registerWasmTrainingKernels({ native: args.kernels === 'native' });
if (args.backend === 'wasm' && args.kernels === 'native' && kernels !== 'native') throw new Error('--kernels native: the native kernel pack is not built (npm run build:native)');
const { backend, threads } = await initBackend(args.backend as BackendName);
for (const config of args.kernels === 'filter-only' ? builtins : []) {
  tf.unregisterKernel(config.kernelName, 'wasm');
  tf.registerKernel(config);
  // a built-in replaced before the backend initialised never ran its setup (binding its wasm function)
  config.setupFunc?.(tf.backend());
}

const { batchSize, imageSize, channels } = config;
const shape: [number, number, number, number] = [batchSize, imageSize, imageSize, channels];
const rng = new Prng(1);
const images = { data: Uint8Array.from({ length: batchSize * imageSize * imageSize * channels }, () => Math.floor(rng.next() * 256)), shape };

/** What is used here of the wasm backend's emscripten module (its typings leave it out). */
interface WasmHeap {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
}
const heapOf = (backend: BackendWasm) => backend.wasm as unknown as WasmHeap;

/**
 * Counts the bytes the wasm backend allocates for tensor data: it mallocs each tensor's buffer from
 * JavaScript (tf.memory() counts a buffer once per tensor sharing it).
 */
function countWasmTensorBytes(backend: BackendWasm): { peak(): number } {
  const wasm = heapOf(backend);
  // emscripten's first call of each replaces it with the raw export: made before wrapping them
  wasm._free(wasm._malloc(4));
  const [malloc, free] = [wasm._malloc.bind(wasm), wasm._free.bind(wasm)];
  const sizes = new Map<number, number>();
  let [live, peak] = [0, 0];
  wasm._malloc = (size: number) => {
    const pointer = malloc(size);
    // addresses past 2 GB come back negative; the backend frees them as unsigned
    sizes.set(pointer >>> 0, size);
    live += size;
    peak = Math.max(peak, live);
    return pointer;
  };
  wasm._free = (pointer: number) => {
    live -= sizes.get(pointer >>> 0) ?? 0;
    sizes.delete(pointer >>> 0);
    free(pointer);
  };
  return { peak: () => peak };
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const rssBeforeTrainingMB = mb(process.memoryUsage().rss);
const tensorBytes = backend === 'wasm' ? countWasmTensorBytes(tf.backend() as BackendWasm) : undefined;
const trainer = new Trainer(config, 1000);
const warmup = Number(args.warmup);
const steps = Number(args.steps);
const stepMs: number[] = [];
// CPU time too: on a shared machine wall time includes waiting for a core (wasm runs one thread)
const stepCpuMs: number[] = [];
const losses: number[] = [];
let tensorsAfterWarmup = 0;
for (let i = 0; i < warmup + steps; i++) {
  if (i === warmup) tensorsAfterWarmup = tf.memory().numTensors;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  losses.push(trainer.step(images).loss);
  const cpu = process.cpuUsage(cpuStart);
  if (i >= warmup) {
    stepMs.push(performance.now() - start);
    stepCpuMs.push((cpu.user + cpu.system) / 1000);
  }
}
const leakedTensors = tf.memory().numTensors - tensorsAfterWarmup;
const memory = {
  rssBeforeTrainingMB,
  tensorsBetweenStepsMB: mb(tf.memory().numBytes),
  tensorPeakMB: tensorBytes && mb(tensorBytes.peak()),
  wasmHeapMB: backend === 'wasm' ? mb(heapOf(tf.backend() as BackendWasm).HEAPU8.buffer.byteLength) : undefined,
  nativeScratchMB: backend === 'wasm' && kernels === 'native' ? mb(loadNativeKernels()!.scratchBytes()) : undefined,
  v8HeapMB: mb(process.memoryUsage().heapUsed),
};

// augmentation alone, to tell it apart from the network (the PyTorch reference has none)
const augmentMs = median(Array.from({ length: Math.min(steps, 5) }, () => {
  const start = performance.now();
  const views = augmentViews(images, config, rng, trainer.method.views);
  views.forEach((v) => v.dataSync());
  const elapsed = performance.now() - start;
  tf.dispose(views);
  return elapsed;
}));
// before the reference state is written, which is no part of training
const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
if (args['reference-state']) writeFileSync(args['reference-state'], referenceInput(trainer));
trainer.dispose();

const medianStepMs = median(stepMs);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
console.log(JSON.stringify({
  framework: 'tfjs',
  backend,
  threads,
  kernels: backend === 'wasm' ? args.kernels : undefined,
  method: config.method,
  backbone: config.backbone,
  imageSize,
  channels,
  batchSize,
  optimizer: config.optimizer,
  settings: Object.fromEntries(Object.keys(METHOD_SETTINGS[config.method].properties).map((field) => [field, config[field as keyof typeof config]])),
  views: trainer.method.views,
  steps,
  medianStepMs: round(medianStepMs),
  medianStepCpuMs: round(median(stepCpuMs)),
  augmentMs: round(augmentMs),
  imagesPerSecond: round(batchSize / (medianStepMs / 1000)),
  imagesPerCpuSecond: round(batchSize / (median(stepCpuMs) / 1000)),
  loadAverage: round(os.loadavg()[0], 2),
  peakRssMB,
  memory,
  leakedTensors,
  firstLoss: losses[0],
  lastLoss: losses[losses.length - 1],
}));
