// AdamW (weight decay skipped for rank <= 1 parameters) and gradient clipping by global norm against
// the PyTorch reference (bench/reference/adamw.py, check_step.py), on SimSiam and SwAV: loss, every
// gradient, and after the update every parameter, both moments and the per-parameter update counts,
// to 1e-4 relative.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineConfig } from '../../src/engine/index.ts';
import { setupBackend, tinyConfig } from '../engine/helpers.ts';
import { assertMatches, compareStep, torchMissing } from './harness.ts';

const skip = torchMissing();
before(setupBackend);

// lr 1 * 6/256 with weight decay 0.1 shrinks a decayed weight by 2e-3 a step, well over the tolerance,
// so decaying the wrong parameters would show
const config = (overrides: Record<string, unknown>) =>
  tinyConfig({ channels: 1, imageSize: 8, batchSize: 6, projectorDim: 16, optimizer: 'adamw', baseLr: 1, weightDecay: 0.1, ...overrides }) as EngineConfig;

/** The global L2 norm of the engine's gradients of the compared step. */
function gradNorm(c: Awaited<ReturnType<typeof compareStep>>): number {
  let sum = 0;
  for (const [name, t] of c.engine.tensors) if (name.startsWith('grad/')) for (const v of t.data) sum += v * v;
  return Math.sqrt(sum);
}

const cases: Array<[string, Record<string, unknown>, number]> = [
  ['simsiam, first step (bias correction at t = 1)', {}, 0],
  ['simsiam after 3 steps (moments in play, the predictor at the fixed lr)', {}, 3],
  ['simsiam, gradients clipped to norm 0.05', { gradClip: 0.05 }, 2],
  ['simsiam with SGD, gradients clipped', { optimizer: 'sgd', gradClip: 0.05 }, 2],
  // lr 0.1: Adam scales each element's step to about lr whatever its size, so the rounding of SwAV's
  // near-zero gradients (through the Sinkhorn exponentials) shows in proportion to lr
  ['swav with frozen prototypes: their moments and counts stay', { method: 'swav', prototypes: 8, projectorHiddenDim: 24, freezePrototypesEpochs: 1, baseLr: 0.1 }, 1],
];

for (const [name, overrides, warmupSteps] of cases) {
  test(`AdamW / clipping match PyTorch: ${name}`, { skip }, async () => {
    const c = await compareStep(config(overrides), { warmupSteps, datasetSize: 9 });
    const compared = assertMatches(c);
    assert.ok(compared > 20, `compared ${compared} tensors`);
    if (overrides.gradClip) assert.ok(gradNorm(c) > 2 * (overrides.gradClip as number), `clipping active: |g| ${gradNorm(c)}`);
    if ((overrides.optimizer ?? 'adamw') === 'adamw') assert.ok(c.reference.tensors.has('adamw.steps'), 'update counts compared');
  });
}
