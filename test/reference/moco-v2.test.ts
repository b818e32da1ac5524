// MoCo v2 against the PyTorch reference (bench/reference/methods/moco_v2.py): loss, every gradient,
// and after the update every parameter and momentum buffer, the key encoder's momentum update (and
// its BN statistics over shuffled sub-batches), and the queue's enqueue and write position, to 1e-4.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineConfig } from '../../src/engine/index.ts';
import { setupBackend, tinyConfig } from '../engine/helpers.ts';
import { assertMatches, compareStep, torchMissing } from './harness.ts';

const skip = torchMissing();
before(setupBackend);

const config = (overrides: Record<string, unknown>) =>
  tinyConfig({
    method: 'moco-v2',
    channels: 1,
    imageSize: 8,
    batchSize: 6,
    projectorDim: 16,
    projectorHiddenDim: 24,
    queueSize: 16,
    keyBnSplits: 3,
    ...overrides,
  }) as EngineConfig;

const cases: Array<[string, Record<string, unknown>, number]> = [
  ['first step (random queue)', {}, 0],
  ['after 3 steps: queue wrapped, key encoder moved', {}, 3],
  ['key momentum 0.9, no BN splits', { keyMomentum: 0.9, keyBnSplits: 1 }, 2],
  ['symmetric, both keys enqueued', { symmetric: true }, 2],
  ['LARS', { optimizer: 'lars' }, 1],
];

for (const [name, overrides, warmupSteps] of cases) {
  test(`moco-v2 matches PyTorch: ${name}`, { skip }, async () => {
    const c = await compareStep(config(overrides), { warmupSteps });
    const compared = assertMatches(c);
    assert.ok(compared > 40, `compared ${compared} tensors`);
    for (const state of ['param/queue.keys', 'param/queue.ptr', 'param/key.projector.out.fc.weight']) assert.ok(c.reference.tensors.has(state), state);
  });
}
