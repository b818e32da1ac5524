// Sanity run of the engine alone: resnet-tiny SimSiam on Fashion-MNIST (Debian package
// dataset-fashion-mnist) or, without it, on structured synthetic images; prints loss per epoch,
// throughput, collapse monitors and kNN accuracy before/after as JSON lines. --stop-gradient false
// is the paper's collapse ablation (fig. 2).
//   node --import tsx bench/sanity-run.ts [--backend wasm|cpu] [--images 1024] [--epochs 3] [--batch 128] [--dim 256] [--projector-layers 3]
//       [--weight-decay 0.0001] [--base-lr 0.05] [--stop-gradient false] [--predictor none] [--projector-output-bn false]
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { booleanFlag } from './flags.ts';
import { resolveTrainingConfig } from '../src/domain/trainingConfig.ts';
import { type BackendName, type ImageBatch, Prng, Trainer, initBackend, knnAccuracy } from '../src/engine/index.ts';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string' },
    images: { type: 'string', default: '1024' },
    test: { type: 'string', default: '1000' },
    epochs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '128' },
    dim: { type: 'string', default: '256' },
    'stop-gradient': { type: 'string', default: 'true' },
    predictor: { type: 'string', default: 'mlp' },
    'projector-output-bn': { type: 'string', default: 'true' },
    'projector-layers': { type: 'string', default: '3' },
    'weight-decay': { type: 'string', default: '0.0001' },
    'base-lr': { type: 'string', default: '0.05' },
  },
});
const FMNIST = '/usr/share/datasets/fashion-mnist';

/** idx files: big-endian header (magic, dims), then uint8 payload. */
function readIdx(file: string, count: number): Uint8Array {
  const bytes = gunzipSync(readFileSync(file));
  const dims = bytes[3];
  const per = Array.from({ length: dims - 1 }, (_, i) => bytes.readUInt32BE(8 + 4 * i)).reduce((a, b) => a * b, 1);
  return bytes.subarray(4 + 4 * dims, 4 + 4 * dims + count * per);
}

/** Synthetic fallback: 10 classes of oriented stripes with random phase and noise. */
function synthetic(count: number, seed: number): { images: ImageBatch; labels: Int32Array } {
  const rng = new Prng(seed);
  const data = new Uint8Array(count * 28 * 28);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const c = (labels[n] = n % 10);
    const angle = (c * Math.PI) / 10;
    const phase = rng.uniform(0, 2 * Math.PI);
    for (let i = 0; i < 28 * 28; i++) {
      const [y, x] = [Math.floor(i / 28), i % 28];
      const v = Math.sin((x * Math.cos(angle) + y * Math.sin(angle)) * 0.8 + phase) * 100 + 128 + rng.normal() * 20;
      data[n * 784 + i] = Math.max(0, Math.min(255, v));
    }
  }
  return { images: { data, shape: [count, 28, 28, 1] }, labels };
}

function load(split: 'train' | 't10k', count: number) {
  if (!existsSync(`${FMNIST}/${split}-images-idx3-ubyte.gz`)) return { ...synthetic(count, split === 'train' ? 1 : 2), source: 'synthetic' };
  const data = readIdx(`${FMNIST}/${split}-images-idx3-ubyte.gz`, count);
  const labels = Int32Array.from(readIdx(`${FMNIST}/${split}-labels-idx1-ubyte.gz`, count));
  return { images: { data, shape: [count, 28, 28, 1] } as ImageBatch, labels, source: 'fashion-mnist' };
}

const info = await initBackend(args.backend as BackendName | undefined);
const train = load('train', Number(args.images));
const evalSet = load('t10k', Number(args.test));
const resolved = resolveTrainingConfig({
  backbone: 'resnet-tiny', imageSize: 28, channels: 1, batchSize: Number(args.batch), epochs: Number(args.epochs),
  projectorDim: Number(args.dim), baseLr: Number(args['base-lr']), stopGradient: booleanFlag('stop-gradient', args['stop-gradient']),
  projectorLayers: Number(args['projector-layers']), weightDecay: Number(args['weight-decay']),
  predictor: args.predictor, bn: booleanFlag('projector-output-bn', args['projector-output-bn']) ? 'default' : 'hidden-only',
});
if (!('config' in resolved)) throw new Error(JSON.stringify(resolved.issues));
const cfg = resolved.config;
if (cfg.method !== 'simsiam') throw new Error('sanity-run trains simsiam');
const n = train.images.shape[0];
const stepsPerEpoch = Math.floor(n / cfg.batchSize);
const trainer = new Trainer(cfg, stepsPerEpoch);
console.log(JSON.stringify({ ...info, source: train.source, images: n, stepsPerEpoch, config: { batch: cfg.batchSize, d: cfg.projectorDim, projectorLayers: cfg.projectorLayers, weightDecay: cfg.weightDecay, baseLr: cfg.baseLr, epochs: cfg.epochs, stopGradient: cfg.stopGradient, predictor: cfg.predictor, bn: cfg.method === 'simsiam' ? cfg.bn : undefined } }));

const knn = () => {
  const bank = tf.tensor2d(trainer.features(train.images), [n, trainer.featureDim]);
  const queries = tf.tensor2d(trainer.features(evalSet.images), [evalSet.images.shape[0], trainer.featureDim]);
  const acc = knnAccuracy(bank, train.labels, queries, evalSet.labels, 10);
  tf.dispose([bank, queries]);
  return acc;
};
console.log(JSON.stringify({ knnBefore: knn() }));

const per = 28 * 28;
const order = new Prng(123);
for (let epoch = 0; epoch < cfg.epochs; epoch++) {
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = order.int(0, i);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const losses: number[] = [];
  let last = { zStd: 0, pStd: 0, lr: 0 };
  const t0 = performance.now();
  for (let s = 0; s < stepsPerEpoch; s++) {
    const data = new Uint8Array(cfg.batchSize * per);
    for (let k = 0; k < cfg.batchSize; k++) data.set(train.images.data.subarray(perm[s * cfg.batchSize + k] * per, (perm[s * cfg.batchSize + k] + 1) * per), k * per);
    const r = trainer.step({ data, shape: [cfg.batchSize, 28, 28, 1] });
    losses.push(r.loss);
    last = r;
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({
    epoch, lossFirst: losses[0], lossLast: losses.at(-1), lossMean: losses.reduce((a, b) => a + b, 0) / losses.length,
    lr: last.lr, zStd: last.zStd, pStd: last.pStd, stepsPerSec: stepsPerEpoch / seconds, imgPerSec: (stepsPerEpoch * cfg.batchSize) / seconds,
    numTensors: tf.memory().numTensors,
  }));
}
console.log(JSON.stringify({ knnAfter: knn(), healthyStd: 1 / Math.sqrt(cfg.projectorDim) }));
trainer.dispose();
