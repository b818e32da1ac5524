// The config's optimizer by name.
import type { EngineConfig } from '../config.ts';
import type { Param } from '../params.ts';
import type { LrGroup, Optimizer } from './optimizer.ts';
import { Sgd } from './sgd.ts';
import { Lars } from './lars.ts';
import { AdamW } from './adamw.ts';

export type { LrGroup, Optimizer } from './optimizer.ts';
export { clipByGlobalNorm } from './clip.ts';

export function createOptimizer(config: EngineConfig, params: Array<{ param: Param; group: LrGroup }>): Optimizer {
  if (config.optimizer === 'adamw') return new AdamW(params, config.weightDecay);
  const Kind = config.optimizer === 'lars' ? Lars : Sgd;
  return new Kind(params, config.momentum, config.weightDecay);
}
