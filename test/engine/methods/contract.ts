// What every method owes the trainer, checked the same way for each: no tensor leaks over 20 steps,
// and a resume from a checkpoint is bitwise the uninterrupted run (weights, target networks,
// optimizer state, host state, augmentation PRNG).
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { type EngineConfig, Trainer } from '../../../src/engine/index.ts';
import { randomImages } from '../helpers.ts';

const batchAt = (cfg: EngineConfig, step: number) => randomImages(cfg.batchSize, cfg.imageSize + 2, cfg.channels, 50 + step);
const indicesAt = (cfg: EngineConfig, step: number, datasetSize: number) =>
  Int32Array.from({ length: cfg.batchSize }, (_, i) => (step * cfg.batchSize + i) % datasetSize);

export function assertNoTensorLeak(cfg: EngineConfig, steps = 20): void {
  const datasetSize = 3 * cfg.batchSize;
  const trainer = new Trainer(cfg, 3, datasetSize);
  trainer.step(batchAt(cfg, 0), indicesAt(cfg, 0, datasetSize));
  const after1 = tf.memory().numTensors;
  for (let s = 1; s < steps; s++) {
    const r = trainer.step(batchAt(cfg, s), indicesAt(cfg, s, datasetSize));
    assert.ok(Number.isFinite(r.loss), `step ${s}: loss ${r.loss}`);
  }
  assert.equal(tf.memory().numTensors, after1, 'tensors after 20 steps');
  trainer.dispose();
}

/** k steps + serialize + restore + (n - k) steps == n uninterrupted steps, bit for bit. */
export function assertBitwiseResume(cfg: EngineConfig, { steps = 6, at = 4, stepsPerEpoch = 3 } = {}): void {
  const datasetSize = 2 * cfg.batchSize;
  const run = (t: Trainer, from: number, to: number) => {
    const out = [];
    for (let s = from; s < to; s++) out.push(t.step(batchAt(cfg, s), indicesAt(cfg, s, datasetSize)));
    return out;
  };
  const straight = new Trainer(cfg, stepsPerEpoch, datasetSize);
  const straightResults = run(straight, 0, steps);
  const first = new Trainer(cfg, stepsPerEpoch, datasetSize);
  run(first, 0, at);
  const bytes = first.serialize();
  first.dispose();
  const resumed = Trainer.restore(bytes, cfg);
  assert.deepEqual(run(resumed, at, steps), straightResults.slice(at));
  assert.deepEqual(Buffer.from(resumed.serialize()), Buffer.from(straight.serialize()));
  resumed.dispose();
  straight.dispose();
}
