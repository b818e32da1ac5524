// Checks every training method must pass, run per method and backend: no tensor leak over 20 steps,
// and a resumed run equal bit for bit to an uninterrupted one (checkpoints carry all method state).
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { type EngineConfig, Trainer } from '../../../src/engine/index.ts';
import { randomImages, snapshot } from '../helpers.ts';

const STEPS_PER_EPOCH = 2;
const batchAt = (config: EngineConfig, step: number) => randomImages(config.batchSize, config.imageSize + 2, config.channels, step + 1);

/** tf.memory().numTensors is flat from the second step to the 20th. */
export function assertNoTensorLeak(config: EngineConfig): void {
  const trainer = new Trainer(config, STEPS_PER_EPOCH);
  trainer.step(batchAt(config, 0));
  const after1 = tf.memory().numTensors;
  for (let s = 1; s < 20; s++) trainer.step(batchAt(config, s));
  assert.equal(tf.memory().numTensors, after1);
  trainer.dispose();
}

/** `resumeAt` steps + serialize + Trainer.restore + the rest == `total` uninterrupted steps. */
export function assertResumeExact(config: EngineConfig, resumeAt: number, total: number): void {
  const everything = (t: Trainer) => snapshot(t.method.store.list().map((p) => p.variable));
  const straight = new Trainer(config, STEPS_PER_EPOCH);
  const straightResults = Array.from({ length: total }, (_, s) => straight.step(batchAt(config, s)));

  const first = new Trainer(config, STEPS_PER_EPOCH);
  for (let s = 0; s < resumeAt; s++) first.step(batchAt(config, s));
  const bytes = first.serialize();
  first.dispose();
  const resumed = Trainer.restore(bytes, config);
  const resumedResults = Array.from({ length: total - resumeAt }, (_, i) => resumed.step(batchAt(config, resumeAt + i)));

  assert.deepEqual(resumedResults, straightResults.slice(resumeAt));
  const a = everything(straight);
  const b = everything(resumed);
  assert.equal(a.length, b.length);
  a.forEach((values, i) => assert.deepEqual(b[i], values));
  assert.deepEqual(resumed.serialize(), straight.serialize());
  straight.dispose();
  resumed.dispose();
}
