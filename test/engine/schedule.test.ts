import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialLr, scheduledLr } from '../../src/engine/index.ts';

// official main_simsiam.py: adjust_learning_rate, called at the start of every epoch
const official = (initLr: number, epoch: number, epochs: number) => initLr * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs));

test('lr = baseLr * batchSize / 256', () => {
  assert.equal(initialLr({ baseLr: 0.05, batchSize: 512 }), 0.1);
});

test('cosine schedule matches the official per-epoch formula and is constant within an epoch', () => {
  const cfg = { baseLr: 0.05, batchSize: 256, epochs: 10, warmupEpochs: 0 };
  const stepsPerEpoch = 7;
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    for (const inEpoch of [0, 3, 6]) {
      const lr = scheduledLr(cfg, epoch * stepsPerEpoch + inEpoch, stepsPerEpoch);
      assert.ok(Math.abs(lr - official(0.05, epoch, cfg.epochs)) < 1e-12, `epoch ${epoch}`);
    }
  }
  assert.equal(scheduledLr(cfg, 0, stepsPerEpoch), 0.05);
});

test('linear warm-up per step, then cosine over the remaining epochs', () => {
  const cfg = { baseLr: 0.1, batchSize: 256, epochs: 12, warmupEpochs: 2 };
  const spe = 5;
  assert.ok(Math.abs(scheduledLr(cfg, 0, spe) - 0.1 / 10) < 1e-12);
  assert.ok(Math.abs(scheduledLr(cfg, 9, spe) - 0.1) < 1e-12);
  assert.ok(Math.abs(scheduledLr(cfg, 10, spe) - 0.1) < 1e-12);
  assert.ok(Math.abs(scheduledLr(cfg, 7 * spe, spe) - official(0.1, 5, 10)) < 1e-12);
});

test('a run that is all warm-up gives a finite lr past its end (no 0 / 0)', () => {
  const cfg = { baseLr: 0.1, batchSize: 256, epochs: 3, warmupEpochs: 3 };
  assert.ok(Math.abs(scheduledLr(cfg, 8, 3) - 0.1) < 1e-12);
  assert.equal(scheduledLr(cfg, 9, 3), 0.1);
});
