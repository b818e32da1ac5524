// What a linear probe of a trained backbone is compared with, on the same images and labels.
export const BASELINES = ['random-init', 'raw-pixels'] as const;
export type Baseline = (typeof BASELINES)[number];
