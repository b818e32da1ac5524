// SimSiam's experiments keep the trainer's promises: no leaks, bitwise resume on cpu and on wasm;
// a checkpoint is refused under another config.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type EngineConfig, Trainer, initBackend } from '../../../src/engine/index.ts';
import { tinyConfig } from '../helpers.ts';
import { assertBitwiseResume, assertNoTensorLeak } from './contract.ts';

const config = (overrides: Record<string, unknown>) =>
  tinyConfig({ channels: 1, imageSize: 8, batchSize: 4, projectorDim: 16, ...overrides }) as EngineConfig;

const experiments: Array<[string, Record<string, unknown>]> = [
  ['default', {}],
  ['fixed random predictor', { predictor: 'fixed-random' }],
  ['moving-average predictor', { predictor: 'moving-average' }],
  ['alternation every 2 steps', { alternation: { every: 2 } }],
  ['alternation every epoch, bn all', { alternation: { every: 'epoch' }, bn: 'all' }],
  ['bn none', { bn: 'none' }],
];

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`simsiam on ${backend}`, () => {
    it('sets up the backend', async () => {
      assert.equal((await initBackend(backend)).backend, backend);
    });
    for (const [name, overrides] of experiments) {
      it(`${name}: no tensor leak over 20 steps`, () => assertNoTensorLeak(config(overrides)));
      it(`${name}: resume is bitwise exact`, () => assertBitwiseResume(config(overrides)));
    }
  });
}

it('a checkpoint restored under another engine config is refused, naming the fields', async () => {
  await initBackend('cpu');
  const cfg = config({});
  const bytes = new Trainer(cfg, 2).serialize();
  assert.throws(() => Trainer.restore(bytes, config({ baseLr: 0.1, predictor: 'none' })), /another config \(baseLr, predictor\)/);
  // the service's own settings beside the engine's do not count
  Trainer.restore(bytes, { ...cfg, knnEveryEpochs: 5 } as EngineConfig).dispose();
});
