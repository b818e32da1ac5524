// The runs of issue #6: one recipe and seed, each run changing one thing. Batch-size runs keep
// baseLr, so the engine's rule lr = baseLr * batchSize / 256 scales their learning rate.
import type { BackboneName } from '../../src/domain/trainingConfig.ts';

export interface Recipe {
  backbone: BackboneName;
  imageSize: number;
  epochs: number;
  batchSize: number;
  baseLr: number;
  weightDecay: number;
  projectorDim: number;
  projectorLayers: 2 | 3;
  projectorOutputBn: boolean;
  seed: number;
}

export const RUN_NAMES = ['simsiam', 'no-stop-grad', 'no-predictor', 'asymmetric', 'batch-64', 'batch-256'] as const;
export type RunName = (typeof RUN_NAMES)[number];

const VARIANTS: Record<RunName, Record<string, unknown>> = {
  simsiam: {},
  'no-stop-grad': { stopGradient: false },
  'no-predictor': { predictor: 'none' },
  asymmetric: { symmetric: false },
  'batch-64': { batchSize: 64 },
  'batch-256': { batchSize: 256 },
};

/** The POST /v1/jobs config of a run (grayscale, a kNN point every epoch). */
export function jobConfig(recipe: Recipe, run: RunName): Record<string, unknown> {
  const { projectorOutputBn, ...fields } = recipe;
  // the recipe keeps the flag its records were written with; the job config says it as `bn`
  return { ...fields, bn: projectorOutputBn ? 'default' : 'hidden-only', channels: 1, knnEveryEpochs: 1, ...VARIANTS[run] };
}

export function parseRuns(list: string): RunName[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(RUN_NAMES as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`unknown run(s) ${unknown.join(', ')}; known: ${RUN_NAMES.join(', ')}`);
  return names as RunName[];
}
