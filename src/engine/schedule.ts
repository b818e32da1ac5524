// Learning-rate schedule of the official code: lr = baseLr * batchSize / 256, cosine-decayed once per
// epoch (adjust_learning_rate: init_lr * 0.5 * (1 + cos(pi * epoch / epochs))). Optional linear
// warm-up (per step) over the first warmupEpochs; the cosine then spans the remaining epochs.
import type { EngineConfig } from './config.ts';

export type ScheduleConfig = Pick<EngineConfig, 'baseLr' | 'batchSize' | 'epochs' | 'warmupEpochs'>;

export function initialLr(cfg: Pick<EngineConfig, 'baseLr' | 'batchSize'>): number {
  return (cfg.baseLr * cfg.batchSize) / 256;
}

/** Learning rate for the optimizer step number `step` (0-based, counted over the whole run). */
export function scheduledLr(cfg: ScheduleConfig, step: number, stepsPerEpoch: number): number {
  const init = initialLr(cfg);
  const epoch = Math.floor(step / stepsPerEpoch);
  if (epoch < cfg.warmupEpochs) return (init * (step + 1)) / (cfg.warmupEpochs * stepsPerEpoch);
  // max: a run that is all warm-up has no cosine (steps past its end would divide 0 by 0)
  const progress = (epoch - cfg.warmupEpochs) / Math.max(1, cfg.epochs - cfg.warmupEpochs);
  return init * 0.5 * (1 + Math.cos(Math.PI * progress));
}
