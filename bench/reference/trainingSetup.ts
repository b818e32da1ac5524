// What bench/reference/method_train.py takes from the engine to train a job's method in PyTorch, with
// no engine weights: the job config as the service resolves it (every default filled), the backbone
// spec, the views the method draws, and a manifest of the method's parameters (name, shape, trainable,
// how the engine draws them, and which start as a copy of another: target and key encoders,
// snapshots) and of its host state. PyTorch then draws its own values from the same distributions
// under the engine's names, which the step code (training_step.py, methods/) is written against.
//
//   node --import tsx bench/reference/trainingSetup.ts '<job config JSON>' [--dataset-size N]
import { parseArgs } from 'node:util';
import { resolveTrainingConfig } from '../../src/domain/trainingConfig.ts';
import { BACKBONE_SPECS, type EngineConfig } from '../../src/engine/index.ts';
import { engineFields } from '../../src/engine/config.ts';
import { isVit } from '../../src/engine/backbones/names.ts';
import { vitOptionsOf } from '../../src/engine/backbones/vitOptions.ts';
import { createMethod } from '../../src/engine/methods/registry.ts';
import { type Init, ParamStore } from '../../src/engine/params.ts';

export interface ParamEntry {
  name: string;
  shape: number[];
  trainable: boolean;
  init: Init;
  /** the parameter whose values it starts with (a target network's copy of the online one) */
  copyOf?: string;
}

export interface TrainingSetup {
  config: EngineConfig;
  spec: Record<string, unknown>;
  views: Array<{ count: number; size: number; scale?: [number, number] }>;
  params: ParamEntry[];
  state: Array<{ name: string; shape: number[] }>;
  /** images in the training set the setup sizes per-image state for */
  datasetSize: number;
}

/** The inits the method's layers ask for, by parameter name: the store keeps values, not how they
 * were drawn, so its get-or-create is watched while the method builds its networks. */
function recordingInits<T>(build: () => T): { built: T; inits: Map<string, Init> } {
  const inits = new Map<string, Init>();
  const original = ParamStore.prototype.getOrCreate;
  ParamStore.prototype.getOrCreate = function (this: ParamStore, name, shape, init, trainable) {
    if (!inits.has(name)) inits.set(name, init);
    return original.call(this, name, shape, init, trainable);
  };
  try {
    return { built: build(), inits };
  } finally {
    ParamStore.prototype.getOrCreate = original;
  }
}

export function trainingSetup(jobConfig: Record<string, unknown>, datasetSize: number): TrainingSetup {
  const resolved = resolveTrainingConfig(jobConfig);
  if ('issues' in resolved) throw new Error(`invalid job config: ${resolved.issues.map((i) => `${i.field} ${i.message}`).join('; ')}`);
  const config = engineFields(resolved.config) as EngineConfig;
  const { built: method, inits } = recordingInits(() => createMethod(config, datasetSize));
  try {
    const params = method.store.list();
    const values = new Map(params.map((p) => [p.name, p.variable.dataSync() as Float32Array]));
    const sameValues = (a: string, b: string) => values.get(a)!.every((x, i) => x === values.get(b)![i]);
    return {
      config,
      spec: { ...BACKBONE_SPECS[config.backbone], ...(isVit(config.backbone) ? vitOptionsOf(config) : {}) },
      views: method.views,
      params: params.map((p) => {
        // a copy lives under its own prefix ('target.', 'key.', 'snapshot.') of an online name
        const online = params.find((o) => o.name !== p.name && p.name.endsWith(`.${o.name}`) && sameValues(o.name, p.name));
        return { name: p.name, shape: p.variable.shape, trainable: p.trainable, init: inits.get(p.name)!, ...(online && { copyOf: online.name }) };
      }),
      state: (method.hostState?.() ?? []).map((s) => ({ name: s.name, shape: s.shape })),
      datasetSize,
    };
  } finally {
    method.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ options: { 'dataset-size': { type: 'string', default: '0' } }, allowPositionals: true });
  const setup = trainingSetup(JSON.parse(positionals[0] ?? '{}'), Number(values['dataset-size']) || 1);
  process.stdout.write(`${JSON.stringify(setup)}\n`);
}
