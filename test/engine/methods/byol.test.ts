// BYOL in the trainer: no tensor leak, and resume bit for bit (the EMA target is in the checkpoint)
// on cpu and on wasm.
import { before, describe, test } from 'node:test';
import type { EngineConfig } from '../../../src/engine/index.ts';
import { initBackend } from '../../../src/engine/index.ts';
import { tinyConfig } from '../helpers.ts';
import { assertBitwiseResume, assertNoTensorLeak } from './contract.ts';

const config = tinyConfig({ method: 'byol', channels: 1, projectorDim: 16, projectorHiddenDim: 32, predictorHiddenDim: 24, epochs: 3 }) as EngineConfig;

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`byol on ${backend}`, () => {
    before(() => initBackend(backend));
    test('no tensor leak over 20 steps', () => assertNoTensorLeak(config));
    test('resume after 3 of 5 steps is bitwise exact (target network included)', () => assertBitwiseResume(config, { at: 3, steps: 5, stepsPerEpoch: 2 }));
  });
}
