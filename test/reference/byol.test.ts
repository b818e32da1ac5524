// BYOL against the PyTorch reference (bench/reference/methods/byol.py): loss, every gradient, and
// every parameter, BN statistic, target-network entry (the EMA step) and momentum buffer after the
// update, to 1e-4 relative.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineConfig } from '../../src/engine/index.ts';
import { setupBackend, tinyConfig } from '../engine/helpers.ts';
import { assertMatches, compareStep, torchMissing } from './harness.ts';

const skip = torchMissing();
before(setupBackend);

const config = (overrides: Record<string, unknown>) =>
  tinyConfig({ method: 'byol', channels: 1, imageSize: 8, batchSize: 6, projectorDim: 16, projectorHiddenDim: 32, predictorHiddenDim: 24, epochs: 2, ...overrides }) as EngineConfig;

const cases: Array<[string, Record<string, unknown>, number]> = [
  ['default (target = online)', {}, 0],
  ['after 3 steps (target has drifted, momentum buffers in play)', {}, 3],
  ['tau_base 0.9, mid-run on the cosine', { tauBase: 0.9 }, 5],
];

for (const [name, overrides, warmupSteps] of cases) {
  test(`byol matches PyTorch: ${name}`, { skip }, async () => {
    const compared = assertMatches(await compareStep(config(overrides), { warmupSteps }));
    assert.ok(compared > 20, `compared ${compared} tensors`);
  });
}

test('byol: the target moves by the EMA step only (it gets no gradient)', { skip }, async () => {
  const c = await compareStep(config({ tauBase: 0.9 }), { warmupSteps: 2 });
  assert.deepEqual([...c.engine.tensors.keys()].filter((n) => n.startsWith('grad/target.')), []);
  const online = c.engine.tensors.get('param/projector.out.fc.weight')!.data;
  const target = c.engine.tensors.get('param/target.projector.out.fc.weight')!.data;
  assert.ok(online.some((v, i) => v !== target[i]), 'target equals online after EMA steps below 1');
});
