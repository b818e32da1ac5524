// `budget: {minutes}` in place of `epochs`: the worker measures its own throughput at the start of the
// run and turns the budget into epochs once. The planned length only matters to the learning rate
// from the end of the warm-up on (the cosine's first epoch has the same lr for every length, see
// src/engine/schedule.ts), so planning inside that window builds exactly the schedule a job
// configured with those epochs would have had. A hard stop at the budget catches a bad estimate.

export interface BudgetPlan {
  minutes: number;
  /** images per second over the measured start of the run, everything included (data, kNN, reports) */
  measuredImagesPerSecond: number;
  measuredSteps: number;
  measuredSeconds: number;
  epochs: number;
}

/** Share of the budget the plan fills: the rest absorbs the final checkpoint, the export and jitter. */
const PLAN_FILL = 0.85;
/** The plan is made at the first epoch's end, or after this share of the budget, whichever is first. */
const MEASURE_SHARE = 0.1;
const MAX_EPOCHS = 10_000;

export interface RunSoFar {
  /** budget seconds spent so far (every claim, engine start-up included) */
  spentSeconds: number;
  /** steps timed since this claim's first step, and the seconds they took (data, kNN, reports included) */
  measuredSteps: number;
  measuredSeconds: number;
  stepsDone: number;
  stepsPerEpoch: number;
  batchSize: number;
}

export interface TimedPoint {
  step: number;
  /** performance.now() */
  at: number;
}

/**
 * The stretch of this claim that a plan measures: from the end of its first step once two steps
 * followed it (the first step compiles kernels and allocates, which no later step repeats: on a
 * small dataset it weighs on a whole epoch), else from the claim's first batch request.
 */
export function measuredStretch(claimStart: TimedPoint, firstStepEnd: TimedPoint | undefined, step: number, now: number) {
  const from = firstStepEnd && step - firstStepEnd.step >= 2 ? firstStepEnd : claimStart;
  return { measuredSteps: step - from.step, measuredSeconds: (now - from.at) / 1000 };
}

/** Whether to plan now: after at least two timed steps, at the first epoch's end or once the measuring share is spent. */
export function timeToPlan(minutes: number, run: RunSoFar, epochEnded: boolean): boolean {
  if (run.measuredSteps < 2) return false;
  return epochEnded || run.spentSeconds >= minutes * 60 * MEASURE_SHARE;
}

/** Epochs that fit the budget at the throughput measured so far; at least one, and never fewer than begun. */
export function planBudget(minutes: number, run: RunSoFar): BudgetPlan {
  const secondsPerStep = run.measuredSeconds / run.measuredSteps;
  const stepsLeft = Math.max(0, Math.floor((minutes * 60 * PLAN_FILL - run.spentSeconds) / secondsPerStep));
  const fits = Math.floor((run.stepsDone + stepsLeft) / run.stepsPerEpoch);
  const epochs = Math.min(MAX_EPOCHS, Math.max(1, Math.ceil(run.stepsDone / run.stepsPerEpoch), fits));
  return {
    minutes,
    measuredImagesPerSecond: Math.round((run.batchSize / secondsPerStep) * 10) / 10,
    measuredSteps: run.measuredSteps,
    measuredSeconds: Math.round(run.measuredSeconds * 10) / 10,
    epochs,
  };
}

/** Whether the epochs can still change without changing a learning rate already used: no step taken past the first post-warm-up epoch. */
export const canReplan = (stepsDone: number, stepsPerEpoch: number, warmupEpochs: number) => stepsDone <= (warmupEpochs + 1) * stepsPerEpoch;
