import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { publishRecords, saveRecord, type SavedRecord } from '../../bench/fashion-mnist/records.ts';
import { trainingMachine, type RunRecord } from '../../bench/fashion-mnist/report.ts';
import { RUN_NAMES, type Recipe } from '../../bench/fashion-mnist/runs.ts';

const recipe: Recipe = {
  backbone: 'resnet-tiny',
  imageSize: 28,
  epochs: 2,
  batchSize: 128,
  baseLr: 0.5,
  weightDecay: 0.0005,
  projectorDim: 64,
  projectorLayers: 2,
  projectorOutputBn: false,
  seed: 0,
};
const data = { pretrainImages: 1000, monitorLabels: 100, probeTrainImages: 500, probeTestImages: 200 };

function runRecord(name: string, top1: number): RunRecord {
  return {
    name,
    finished: {
      job: {
        id: `job-${name}`,
        status: 'succeeded',
        config: { ...recipe },
        progress: { zStd: 0.1, stepsPerEpoch: 2 },
        error: null,
        backend: 'wasm',
        startedAt: null,
        finishedAt: null,
      },
      metrics: [0, 1, 2, 3].map((step) => ({ epoch: Math.floor(step / 2), step, values: { loss: -step / 4, zStd: 0.1, pStd: 0.1, knnTop1: 0.5, epochEnd: step % 2 === 1 } })),
      wallSeconds: 10,
    },
    // one run made before machines were recorded
    ...(name === 'no-stop-grad' ? {} : { machine: `cpu ${name}` }),
    probe: { id: `eval-${name}`, status: 'succeeded', top1, knnTop1: top1 - 0.1, baselines: name === 'simsiam' ? { 'raw-pixels': { top1: 0.8, top5: 1, knnTop1: null, featureDim: 784 } } : null, details: null, timings: null, error: null },
  };
}

const roots: string[] = [];
after(() => roots.forEach((root) => fs.rmSync(root, { recursive: true, force: true })));

const reference = { top1: 0.7, knnTop1: 0.6, epochs: 2, wallSeconds: 5, imagesPerSecond: 400, machine: 'cpu reference' };

/** Two records folders as two parallel invocations leave them: the runs split between them. */
function twoInvocations(): { dirs: string[]; save: (dir: number, name: string, saved: SavedRecord) => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'records-test-'));
  roots.push(root);
  const dirs = [path.join(root, 'a'), path.join(root, 'b')];
  const save = (dir: number, name: string, saved: SavedRecord) => saveRecord(path.join(dirs[dir], `${name}.json`), saved);
  RUN_NAMES.forEach((name, i) => save(i % 2, name, { recipe, data, command: `run ${i % 2}`, record: runRecord(name, 0.7 + i / 100) }));
  save(0, 'reference', { recipe, data, command: 'python reference', reference });
  return { dirs, save };
}

test('publishRecords joins the runs of several invocations into one table in the issue order', async () => {
  const { dirs } = twoInvocations();
  const to = path.join(path.dirname(dirs[0]), 'results');
  const files = await publishRecords(dirs, to);
  assert.deepEqual(files.map((f) => path.basename(f)), ['fashion-mnist.json', 'fashion-mnist.md', 'fashion-mnist-loss.png', 'fashion-mnist-collapse-std.png', 'fashion-mnist-knn.png']);
  const results = JSON.parse(fs.readFileSync(files[0], 'utf8'));
  assert.deepEqual(results.runs.map((r: { name: string }) => r.name), [...RUN_NAMES]);
  assert.equal(results.runs[2].top1, 0.72);
  assert.deepEqual(results.baselines, { rawPixels: 0.8, randomInit: null });
  assert.deepEqual(results.reference, { top1: 0.7, epochs: 2, machine: 'cpu reference' });
  // runs made on different days may come from different machines: each row says where it trained
  assert.deepEqual(results.runs.map((r: { machine: string | null }) => r.machine), RUN_NAMES.map((n) => (n === 'no-stop-grad' ? null : `cpu ${n}`)));
  const table = fs.readFileSync(files[1], 'utf8');
  assert.match(table, /\| no-stop-grad \|.*\| not recorded \|/);
  assert.match(table, /\| PyTorch reference \(simsiam\) \|.*\| cpu reference \|/);
  assert.deepEqual(results.commands, ['run 0', 'run 1', 'python reference']);
  assert.equal(results.missing, undefined);
  for (const png of files.slice(2)) assert.deepEqual([...fs.readFileSync(png).subarray(1, 4)], [...Buffer.from('PNG')]);
});

test('publishRecords refuses a missing run, a run recorded twice, and a different recipe or budget', async () => {
  const missing = twoInvocations();
  fs.rmSync(path.join(missing.dirs[1], 'batch-256.json'));
  await assert.rejects(publishRecords(missing.dirs, os.tmpdir()), /missing for a full table: batch-256/);

  const twice = twoInvocations();
  twice.save(1, 'simsiam', { recipe, data, command: 'again', record: runRecord('simsiam', 0.71) });
  await assert.rejects(publishRecords(twice.dirs, os.tmpdir()), /simsiam recorded twice/);

  const otherRecipe = twoInvocations();
  otherRecipe.save(1, 'batch-256', { recipe: { ...recipe, epochs: 3 }, data, command: 'x', record: runRecord('batch-256', 0.7) });
  await assert.rejects(publishRecords(otherRecipe.dirs, os.tmpdir()), /another recipe or data budget/);

  const otherData = twoInvocations();
  otherData.save(1, 'batch-256', { recipe, data: { ...data, pretrainImages: 2000 }, command: 'x', record: runRecord('batch-256', 0.7) });
  await assert.rejects(publishRecords(otherData.dirs, os.tmpdir()), /another recipe or data budget/);
});

test('publishRecords --partial publishes the runs recorded so far under another name and lists the missing ones', async () => {
  const { dirs } = twoInvocations();
  fs.rmSync(path.join(dirs[1], 'batch-256.json'));
  fs.rmSync(path.join(dirs[0], 'reference.json'));
  await assert.rejects(publishRecords(dirs, os.tmpdir(), { partial: true }), /a partial table needs a name other than fashion-mnist/);
  const to = path.join(path.dirname(dirs[0]), 'results');
  const files = await publishRecords(dirs, to, { name: 'fm-small', partial: true });
  assert.deepEqual(files.map((f) => path.basename(f)), ['fm-small.json', 'fm-small.md', 'fm-small-loss.png', 'fm-small-collapse-std.png', 'fm-small-knn.png']);
  const results = JSON.parse(fs.readFileSync(files[0], 'utf8'));
  assert.deepEqual(results.runs.map((r: { name: string }) => r.name), RUN_NAMES.filter((n) => n !== 'batch-256'));
  assert.equal(results.reference, null);
  assert.deepEqual(results.missing, ['batch-256', 'reference']);
  assert.match(fs.readFileSync(files[1], 'utf8'), /Not run yet: batch-256, reference\./);
});

test('trainingMachine names the CPU, its widest vector ISA, the cores and the threads a run used', () => {
  assert.match(trainingMachine(1), new RegExp(`^.+, (AVX-512|AVX2|no AVX2|unknown ISA), ${os.cpus().length} cores, 1 thread$`));
  assert.match(trainingMachine(2), /, 2 threads$/);
});
