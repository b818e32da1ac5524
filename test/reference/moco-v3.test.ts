// MoCo v3 against the PyTorch reference (bench/reference/methods/moco_v3.py): loss, every gradient,
// and after the update every parameter, BN statistic and optimizer state (AdamW moments and update
// counts, or SGD momentum), and the momentum encoder's update, to 1e-4 relative. The reference moves
// the momentum encoder's parameters only, so its BN statistics agreeing means the engine's come from
// its own forward passes too.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineConfig } from '../../src/engine/index.ts';
import { setupBackend, tinyConfig } from '../engine/helpers.ts';
import { assertMatches, compareStep, torchMissing } from './harness.ts';

const skip = torchMissing();
before(setupBackend);

const config = (overrides: Record<string, unknown>) =>
  tinyConfig({
    method: 'moco-v3',
    channels: 1,
    imageSize: 8,
    batchSize: 6,
    projectorDim: 16,
    projectorHiddenDim: 32,
    predictorHiddenDim: 24,
    epochs: 2,
    // AdamW steps every element by about lr whatever its gradient's size, so the rounding of a
    // near-zero gradient shows in proportion to lr: lr 2e-4 keeps it under the tolerance, while the
    // step itself is well over it
    baseLr: 0.01,
    warmupEpochs: 0,
    ...overrides,
  }) as EngineConfig;

const cases: Array<[string, Record<string, unknown>, number]> = [
  ['first step (momentum encoder = query encoder), AdamW at t = 1', {}, 0],
  ['after 3 steps (momentum encoder drifted, AdamW moments in play)', {}, 3],
  ['key momentum 0.9 mid-run on the cosine, temperature 0.5', { keyMomentum: 0.9, temperature: 0.5 }, 5],
  ['3-layer projector (the ViT head) on a ResNet', { projectorLayers: 3 }, 1],
  ['SGD, gradients clipped', { optimizer: 'sgd', baseLr: 0.5, momentum: 0.9, weightDecay: 1e-4, gradClip: 0.5 }, 2],
  ['LARS', { optimizer: 'lars', baseLr: 0.5, weightDecay: 1e-4 }, 1],
];

for (const [name, overrides, warmupSteps] of cases) {
  test(`moco-v3 matches PyTorch: ${name}`, { skip }, async () => {
    const c = await compareStep(config(overrides), { warmupSteps });
    const compared = assertMatches(c);
    assert.ok(compared > 40, `compared ${compared} tensors`);
    for (const state of ['param/key.projector.out.fc.weight', 'param/key.backbone.stem.conv.weight']) assert.ok(c.reference.tensors.has(state), state);
  });
}

test('moco-v3: the momentum encoder moves by the EMA only', { skip }, async () => {
  const c = await compareStep(config({ keyMomentum: 0.9 }), { warmupSteps: 2 });
  assert.deepEqual([...c.engine.tensors.keys()].filter((n) => n.startsWith('grad/key.')), []);
  const online = c.engine.tensors.get('param/projector.0.fc.weight')!.data;
  const key = c.engine.tensors.get('param/key.projector.0.fc.weight')!.data;
  assert.ok(online.some((v, i) => v !== key[i]), 'the momentum encoder equals the query encoder after EMA steps below 1');
});
