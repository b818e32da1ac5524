import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Trainer, decodeCheckpoint, encodeCheckpoint } from '../../src/engine/index.ts';
import { randomImages, setupBackend, snapshot, tinyConfig } from './helpers.ts';

before(setupBackend);

test('codec round-trips metadata and float32 bits, also from an unaligned Buffer slice', () => {
  const tensors = [
    { name: 'a', shape: [2, 2], data: new Float32Array([1.5, -0, NaN, 3e-38]) },
    { name: 'b', shape: [3], data: new Float32Array([Math.PI, -1, 1e30]) },
  ];
  const bytes = encodeCheckpoint({ meta: { step: 7, note: 'é' }, tensors });
  const shifted = Buffer.concat([Buffer.from([0]), Buffer.from(bytes)]).subarray(1);
  const back = decodeCheckpoint<{ step: number; note: string }>(shifted);
  assert.deepEqual(back.meta, { step: 7, note: 'é' });
  back.tensors.forEach((t, i) => {
    assert.equal(t.name, tensors[i].name);
    assert.deepEqual(t.shape, tensors[i].shape);
    assert.deepEqual(new Uint32Array(t.data.buffer), new Uint32Array(tensors[i].data.buffer));
  });
  assert.throws(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4)), /truncated/);
  assert.throws(() => decodeCheckpoint(new Uint8Array(16)), /not a SimSiam checkpoint/);
});

test('resume: k steps + serialize + restore + (N-k) steps == N uninterrupted steps, bit for bit', () => {
  const cfg = tinyConfig({ epochs: 2, warmupEpochs: 1 });
  const stepsPerEpoch = 2;
  const batches = [1, 2, 3, 4].map((seed) => randomImages(4, 10, 3, seed));
  const all = (t: Trainer) => [...t.method.store.list().map((p) => p.variable)];

  const straight = new Trainer(cfg, stepsPerEpoch);
  const straightLosses = batches.map((b) => straight.step(b));

  const first = new Trainer(cfg, stepsPerEpoch);
  first.step(batches[0]);
  first.step(batches[1]);
  const bytes = first.serialize();
  first.dispose();
  const resumed = Trainer.restore(bytes);
  assert.equal(resumed.completedSteps, 2);
  assert.equal(resumed.epoch, 1);
  const resumedLosses = [resumed.step(batches[2]), resumed.step(batches[3])];

  assert.deepEqual(resumedLosses, straightLosses.slice(2));
  const a = snapshot(all(straight));
  const b = snapshot(all(resumed));
  assert.equal(a.length, b.length);
  a.forEach((values, i) => assert.deepEqual(b[i], values));
  // momentum buffers too: one more identical step must stay identical
  const batch = randomImages(4, 10, 3, 9);
  assert.deepEqual(resumed.step(batch), straight.step(batch));
  // and the checkpoint really carries the trained state, not a fresh init
  const fresh = new Trainer(cfg, stepsPerEpoch);
  assert.notDeepEqual(snapshot(all(fresh))[0], a[0]);
  for (const t of [straight, resumed, fresh]) t.dispose();
  assert.equal(tf.memory().numTensors, 0);
});

test('restore rejects a checkpoint that does not fit its model', () => {
  const t = new Trainer(tinyConfig(), 1);
  const { meta, tensors } = decodeCheckpoint<Record<string, unknown>>(t.serialize());
  t.dispose();
  const broken = encodeCheckpoint({ meta, tensors: tensors.slice(1) });
  assert.throws(() => Trainer.restore(broken), /tensors/);
});

test('exportBackbone: backbone weights and BN statistics only, prefix stripped, copies', () => {
  const t = new Trainer(tinyConfig({ channels: 1 }), 1);
  const exported = t.exportBackbone();
  const names = exported.map((e) => e.name);
  assert.ok(names.includes('stem.conv.weight') && names.includes('layer3.0.downsample.bn.running_var'));
  assert.ok(!names.some((n) => n.startsWith('projector') || n.startsWith('predictor') || n.startsWith('backbone.')));
  assert.deepEqual(exported.find((e) => e.name === 'stem.conv.weight')!.shape, [3, 3, 1, 16]);
  for (const e of exported) assert.equal(e.data.length, e.shape.reduce((a, b) => a * b, 1));
  exported[0].data.fill(123);
  assert.notEqual(t.method.store.get('backbone.stem.conv.weight').dataSync()[0], 123);
  t.dispose();
});
