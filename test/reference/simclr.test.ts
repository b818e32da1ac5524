// SimCLR against the PyTorch reference (bench/reference/methods/simclr.py, bench/reference/lars.py):
// loss, every gradient, and every parameter, BN statistic and momentum buffer after the update (LARS
// or SGD), to 1e-4 relative.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineConfig } from '../../src/engine/index.ts';
import { setupBackend, tinyConfig } from '../engine/helpers.ts';
import { assertMatches, compareStep, torchMissing } from './harness.ts';

const skip = torchMissing();
before(setupBackend);

const config = (overrides: Record<string, unknown>) =>
  tinyConfig({ method: 'simclr', channels: 1, imageSize: 8, batchSize: 6, projectorDim: 16, projectorHiddenDim: 24, ...overrides }) as EngineConfig;

const cases: Array<[string, Record<string, unknown>, number]> = [
  ['defaults (LARS, temperature 0.5)', {}, 0],
  ['LARS after 2 steps (velocity in play), past warm-up', { warmupEpochs: 0, weightDecay: 5e-3 }, 2],
  ['SGD after 2 steps', { optimizer: 'sgd', baseLr: 0.1 }, 2],
  ['temperature 0.1', { temperature: 0.1 }, 1],
];

for (const [name, overrides, warmupSteps] of cases) {
  test(`simclr matches PyTorch: ${name}`, { skip }, async () => {
    const compared = assertMatches(await compareStep(config(overrides), { warmupSteps }));
    assert.ok(compared > 20, `compared ${compared} tensors`);
  });
}
