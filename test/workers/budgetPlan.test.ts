import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canReplan, measuredStretch, planBudget, timeToPlan } from '../../workers/training/budgetPlan.ts';

const run = { spentSeconds: 6, measuredSteps: 4, measuredSeconds: 4, stepsDone: 4, stepsPerEpoch: 4, batchSize: 16 };

test('a budget becomes the epochs that fit 85% of it at the measured step time', () => {
  // 1 s a step, 4 steps an epoch: 60 s * 0.85 - 6 s spent = 45 steps left -> (4 + 45) / 4 = 12 epochs
  assert.deepEqual(planBudget(1, run), { minutes: 1, measuredImagesPerSecond: 16, measuredSteps: 4, measuredSeconds: 4, epochs: 12 });
  assert.equal(planBudget(0.05, run).epochs, 1, 'a budget under one epoch still plans one (the hard stop ends it)');
  assert.equal(planBudget(0.05, { ...run, stepsDone: 6 }).epochs, 2, 'never fewer epochs than already begun');
  assert.equal(planBudget(100_000, { ...run, measuredSeconds: 0.004 }).epochs, 10_000, 'capped at the schema maximum');
});

test('planned at the first epoch end or after 10% of the budget, and only before the cosine starts', () => {
  assert.equal(timeToPlan(1, { ...run, measuredSteps: 1 }, true), false, 'two timed steps at least');
  assert.equal(timeToPlan(1, run, true), true);
  assert.equal(timeToPlan(2, run, false), false, '6 s of a 120 s budget');
  assert.equal(timeToPlan(1, run, false), true, '6 s of a 60 s budget');
  assert.equal(canReplan(2, 4, 0), true);
  assert.equal(canReplan(4, 4, 0), true, 'at the first epoch end: no step of the cosine taken yet');
  assert.equal(canReplan(5, 4, 0), false);
  assert.equal(canReplan(6, 4, 1), true, 'the warm-up does not depend on the length either');
});

test("the plan measures from the first step's end once two steps followed it, else from the claim's start", () => {
  // a claim resumed at step 10: its first step took 8 s (compilation), the next ones 1 s each
  const claimStart = { step: 10, at: 0 };
  const firstStepEnd = { step: 11, at: 8_000 };
  assert.deepEqual(measuredStretch(claimStart, firstStepEnd, 12, 9_000), { measuredSteps: 2, measuredSeconds: 9 }, 'one step after it: the whole claim');
  assert.deepEqual(measuredStretch(claimStart, firstStepEnd, 19, 16_000), { measuredSteps: 8, measuredSeconds: 8 });
  assert.deepEqual(measuredStretch(claimStart, undefined, 10, 500), { measuredSteps: 0, measuredSeconds: 0.5 });
});
