// bench/reference/method_train.py, the PyTorch reference of a whole job: every method trains one epoch
// of a tiny backbone from its resolved config and reports every field, finite, with a loss that moved;
// and its probe (probe.py) chooses the weight decay and scores exactly as the service's probe on one
// feature set, with the service's label-budget subset.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from '../../src/engine/index.ts';
import { PROBE_RECIPE, regularisedProbe, standardise } from '../../src/probe/linearProbe.ts';
import { jsProducts } from '../../src/probe/products.ts';
import { subsetIndices } from '../../src/probe/split.ts';
import { trainingSetup } from '../../bench/reference/trainingSetup.ts';
import { PYTHON, torchMissing } from '../reference/harness.ts';

const REFERENCE = path.resolve(import.meta.dirname, '../../bench/reference');
const skip = torchMissing();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-train-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Random pixels in pixels.ts's layout, labels 0..classes-1. */
function writeImages(prefix: string, count: number, size: number, rng: Prng, classes = 4): string {
  fs.writeFileSync(`${prefix}.u8`, Uint8Array.from({ length: count * size * size }, () => rng.int(0, 255)));
  fs.writeFileSync(`${prefix}.labels.u8`, Uint8Array.from({ length: count }, (_, i) => i % classes));
  fs.writeFileSync(`${prefix}.json`, JSON.stringify({ count, size, channels: 1, labeled: true }));
  return prefix;
}

const FIELDS = ['top1_10k', 'trainTop1_10k', 'top1_60k', 'trainTop1_60k', 'knnTop1', 'collapseStd', 'epochs', 'wallSeconds', 'imagesPerSecond', 'threads'];

const JOBS: Record<string, Record<string, unknown>> = {
  simsiam: { method: 'simsiam' },
  simclr: { method: 'simclr' },
  'moco-v2': { method: 'moco-v2', queueSize: 256 },
  byol: { method: 'byol' },
  // multi-crop, a queue filled from the first step and prototypes frozen for the first epoch
  swav: { method: 'swav', smallCrops: 2, smallCropSize: 16, queueLength: 128, queueStartEpoch: 0, freezePrototypesEpochs: 1 },
  'moco-v3': { method: 'moco-v3' },
};

describe('method_train.py: one epoch of every method', { skip }, () => {
  const rng = new Prng(3);
  const images = 256;
  const train = skip ? '' : writeImages(path.join(dir, 'train'), images, 32, rng);
  const test = skip ? '' : writeImages(path.join(dir, 'test'), 64, 32, rng);
  for (const [name, job] of Object.entries(JOBS)) {
    it(name, () => {
      const setup = trainingSetup({ ...job, backbone: 'resnet-tiny', imageSize: 28, channels: 1, epochs: 1, batchSize: 64, seed: 1 }, images);
      const setupFile = path.join(dir, `${name}.json`);
      fs.writeFileSync(setupFile, JSON.stringify(setup));
      const out = execFileSync(PYTHON, [path.join(REFERENCE, 'method_train.py'), '--setup', setupFile, '--pretrain', train, '--train', train, '--test', test, '--train-labels', '100', '--threads', '1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const result = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
      assert.equal(result.method, job.method);
      assert.equal(result.trainLabels, 100);
      for (const field of FIELDS) assert.ok(Number.isFinite(result[field]), `${field}: ${result[field]}`);
      assert.ok(Number.isFinite(result.firstLoss) && Number.isFinite(result.finalLoss), `losses ${result.firstLoss} ${result.finalLoss}`);
      assert.notEqual(result.firstLoss, result.finalLoss, 'the loss did not move');
    });
  }
});

describe('probe.py is the service probe', { skip }, () => {
  it('on one feature set: the same validation scores, weight decay, test and train top-1; the same label subset', async () => {
    // 4 classes of overlapping Gaussians in 100 dimensions, 200 train rows: the validation top-1 ties
    // over the weakest decays and drops at the strongest, so the choice (0.01) tests the tie rule too
    const rng = new Prng(5);
    const classes = 4;
    const dim = 100;
    const centres = Array.from({ length: classes * dim }, () => rng.normal() * 0.2);
    const make = (rows: number) => {
      const labels = Int32Array.from({ length: rows }, () => rng.int(0, classes - 1));
      const data = Float32Array.from({ length: rows * dim }, (_, i) => centres[labels[Math.floor(i / dim)] * dim + (i % dim)] + rng.normal());
      return { x: { data, rows, dim }, labels };
    };
    const train = make(200);
    const test = make(100);
    for (const [name, m] of Object.entries({ train, test })) {
      fs.writeFileSync(path.join(dir, `${name}.f32`), m.x.data);
      fs.writeFileSync(path.join(dir, `${name}.i32`), m.labels);
    }
    const script = `
import json, sys
import numpy as np, torch
sys.path.insert(0, ${JSON.stringify(REFERENCE)})
import probe
load = lambda name: (torch.from_numpy(np.fromfile(f'${dir}/{name}.f32', dtype='<f4').reshape(-1, ${dim})),
                     torch.from_numpy(np.fromfile(f'${dir}/{name}.i32', dtype='<i4').astype(np.int64)))
(x, y), (tx, ty) = load('train'), load('test')
print(json.dumps({'probe': probe.regularised_probe(x, y, tx, ty, ${classes}, 7), 'subset': probe.subset_indices(1000, 300, 2)}))`;
    const python = JSON.parse(execFileSync(PYTHON, ['-c', script], { encoding: 'utf8' }));
    standardise(train.x, test.x);
    // the float64 products, as the reference computes: the native ones round to float32
    const service = await regularisedProbe(train.x, train.labels, test.x, test.labels, classes, 7, PROBE_RECIPE, jsProducts);
    assert.deepEqual(python.probe.validation, service.validation);
    assert.ok(new Set(service.validation.map((v) => v.top1)).size > 1, 'the grid should not tie everywhere');
    assert.ok(service.weightDecay > 0 && service.weightDecay < 0.1, `a choice inside the grid, not ${service.weightDecay}`);
    assert.equal(python.probe.weightDecay, service.weightDecay);
    assert.equal(python.probe.top1, service.top1);
    assert.equal(python.probe.trainTop1, service.trainTop1);
    assert.deepEqual(python.subset, subsetIndices(1000, 300, 2));
  });
});
