// Method by name. Adding a method: its settings in settings.ts, its file here beside simsiam.ts.
import type { EngineConfig } from '../config.ts';
import type { MethodName } from './settings.ts';
import type { MethodFactory, TrainingMethod } from './method.ts';
import { createSimSiam } from './simsiam.ts';
import { createSimClr } from './simclr.ts';
import { createMocoV2 } from './mocoV2.ts';
import { createByol } from './byol.ts';
import { createSwAV } from './swav.ts';
import { createMocoV3 } from './mocoV3.ts';

const FACTORIES: { [M in MethodName]: MethodFactory<M> } = {
  simsiam: createSimSiam,
  simclr: createSimClr,
  'moco-v2': createMocoV2,
  byol: createByol,
  swav: createSwAV,
  'moco-v3': createMocoV3,
};

export function createMethod(config: EngineConfig, datasetSize: number): TrainingMethod {
  return (FACTORIES[config.method] as MethodFactory<typeof config.method>)({ config, datasetSize });
}
