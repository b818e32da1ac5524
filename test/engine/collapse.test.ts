// The paper's central result (fig. 2) on a tiny model: without stop-gradient SimSiam finds the
// collapsed solution (loss → -1, std of l2-normalised z → 0); with it, it does not. The projector's
// output BN is off here (paper table 4): it standardises each channel of z over the batch, which
// keeps z from becoming one constant vector whatever the gradient does.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer, initBackend } from '../../src/engine/index.ts';
import { randomImages, tinyConfig } from './helpers.ts';

// wasm (with the native pack when built): the cpu backend's filter gradient makes 120 steps minutes long
before(() => initBackend('wasm'));

const STEPS = 100;

/** z's collapse std after STEPS steps on one fixed batch, as a fraction of the healthy 1/√d. */
function stdAfterTraining(overrides: Record<string, unknown>): { std: number; loss: number } {
  const cfg = tinyConfig({ channels: 1, imageSize: 12, batchSize: 16, projectorDim: 64, baseLr: 0.5, epochs: 100, ...overrides });
  const trainer = new Trainer(cfg, STEPS);
  const images = randomImages(cfg.batchSize, 14, 1);
  let last = trainer.step(images);
  for (let i = 1; i < STEPS; i++) last = trainer.step(images);
  trainer.dispose();
  return { std: last.zStd * Math.sqrt(cfg.projectorDim), loss: last.loss };
}

test('without stop-gradient z collapses; with it, it does not (no output BN)', () => {
  const collapsed = stdAfterTraining({ stopGradient: false, bn: 'hidden-only' });
  const healthy = stdAfterTraining({ stopGradient: true, bn: 'hidden-only' });
  assert.ok(collapsed.std < 0.25 && collapsed.loss < -0.95, `no stop-gradient: ${JSON.stringify(collapsed)}`);
  assert.ok(healthy.std > 0.5, `stop-gradient: ${JSON.stringify(healthy)}`);
});

test('the projector output BN keeps z from collapsing even without stop-gradient', () => {
  const withBn = stdAfterTraining({ stopGradient: false });
  assert.ok(withBn.std > 0.45, JSON.stringify(withBn));
});
