// Checks every method's engine tests run: no tensor leak over 20 steps, and a resumed run equal bit
// for bit to an uninterrupted one, on cpu and on wasm (the backends a service may train on here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Trainer, initBackend } from '../../../src/engine/index.ts';
import { randomImages, snapshot, tinyConfig } from '../helpers.ts';

const everything = (t: Trainer) => new Uint8Array(t.serialize());

function resumeIsExact(overrides: Record<string, unknown>): void {
  const cfg = tinyConfig({ epochs: 2, warmupEpochs: 1, ...overrides });
  const stepsPerEpoch = 2;
  const batches = [1, 2, 3, 4].map((seed) => randomImages(4, 10, 3, seed));
  const straight = new Trainer(cfg, stepsPerEpoch);
  const straightLosses = batches.map((b) => straight.step(b));

  const first = new Trainer(cfg, stepsPerEpoch);
  first.step(batches[0]);
  first.step(batches[1]);
  const resumed = Trainer.restore(first.serialize());
  first.dispose();
  assert.deepEqual([resumed.step(batches[2]), resumed.step(batches[3])], straightLosses.slice(2));
  // every parameter, target network, queue, momentum buffer and the PRNG, bit for bit
  assert.deepEqual(everything(resumed), everything(straight));
  const fresh = new Trainer(cfg, stepsPerEpoch);
  const params = (t: Trainer) => snapshot(t.method.store.list().map((p) => p.variable));
  assert.notDeepEqual(params(fresh), params(straight));
  for (const t of [straight, resumed, fresh]) t.dispose();
  assert.equal(tf.memory().numTensors, 0);
}

/** Registers the checks for one method's config `overrides` (backend left on wasm afterwards). */
export function methodEngineChecks(method: string, overrides: Record<string, unknown>): void {
  const withMethod = { method, ...overrides };
  const name = `${method} ${JSON.stringify(overrides)}`;

  test(`${name}: no tensor leak over 20 steps (cpu)`, async () => {
    await initBackend('cpu');
    const before = tf.memory().numTensors;
    const t = new Trainer(tinyConfig(withMethod), 5);
    t.step(randomImages(4, 10, 3, 1));
    const after1 = tf.memory().numTensors;
    for (let s = 2; s <= 20; s++) t.step(randomImages(4, 10, 3, s));
    assert.equal(tf.memory().numTensors, after1);
    t.dispose();
    assert.equal(tf.memory().numTensors, before, 'disposing the trainer frees everything it made');
  });

  test(`${name}: resume is bitwise exact (cpu)`, async () => {
    await initBackend('cpu');
    resumeIsExact(withMethod);
  });

  test(`${name}: resume is bitwise exact (wasm)`, async () => {
    await initBackend('wasm');
    resumeIsExact(withMethod);
  });
}
