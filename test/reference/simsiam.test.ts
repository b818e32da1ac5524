// SimSiam and its experiments against the PyTorch reference (bench/reference/methods/simsiam.py):
// loss, every gradient, and every parameter, BN statistic, momentum buffer and memory entry after
// the update, to 1e-4 relative.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineConfig } from '../../src/engine/index.ts';
import { setupBackend, tinyConfig } from '../engine/helpers.ts';
import { assertMatches, compareStep, torchMissing } from './harness.ts';

const skip = torchMissing();
before(setupBackend);

const config = (overrides: Record<string, unknown>) =>
  tinyConfig({ channels: 1, imageSize: 8, batchSize: 6, projectorDim: 16, weightDecay: 5e-4, ...overrides }) as EngineConfig;

const cases: Array<[string, Record<string, unknown>, number]> = [
  ['default', {}, 0],
  ['after 2 steps (momentum buffers in play)', {}, 2],
  ['no stop-gradient', { stopGradient: false }, 0],
  ['asymmetric, cross-entropy', { symmetric: false, loss: 'cross-entropy' }, 0],
  ['bn none', { bn: 'none' }, 0],
  ['bn hidden-only', { bn: 'hidden-only' }, 0],
  ['bn all', { bn: 'all' }, 0],
  ['no predictor, 2-layer projector', { predictor: 'none', projectorLayers: 2 }, 0],
  ['fixed random predictor', { predictor: 'fixed-random' }, 1],
  ['moving-average predictor, memory half seen', { predictor: 'moving-average', movingAverageRate: 0.6 }, 1],
  ['alternation every 3 steps, between refreshes', { alternation: { every: 3 } }, 2],
  ['alternation every 3 steps, at a refresh', { alternation: { every: 3 } }, 3],
  ['alternation once per epoch', { alternation: { every: 'epoch' } }, 1],
];

for (const [name, overrides, warmupSteps] of cases) {
  test(`simsiam matches PyTorch: ${name}`, { skip }, async () => {
    const compared = assertMatches(await compareStep(config(overrides), { warmupSteps, datasetSize: 9 }));
    assert.ok(compared > 20, `compared ${compared} tensors`);
  });
}

test('fixed random predictor: its weights never move', { skip }, async () => {
  const c = await compareStep(config({ predictor: 'fixed-random' }), { warmupSteps: 2 });
  const grads = [...c.engine.tensors.keys()].filter((n) => n.startsWith('grad/predictor.'));
  assert.deepEqual(grads, []);
});
