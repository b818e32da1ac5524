// SwAV in the trainer: no tensor leak, and resume bit for bit on cpu and on wasm with the queue, its
// fill count, multi-crop and the prototype freeze ending across the resume point.
import { before, describe, test } from 'node:test';
import type { EngineConfig } from '../../../src/engine/index.ts';
import { initBackend } from '../../../src/engine/index.ts';
import { tinyConfig } from '../helpers.ts';
import { assertBitwiseResume, assertNoTensorLeak } from './contract.ts';

const base = { method: 'swav', channels: 1, imageSize: 10, projectorDim: 16, projectorHiddenDim: 32, prototypes: 12, epochs: 3 };
const plain = tinyConfig(base) as EngineConfig;
// batch 4, 2 steps per epoch: the queue (8 rows) starts at step 2, is full and used from step 4
const everything = tinyConfig({ ...base, queueLength: 8, queueStartEpoch: 1, smallCrops: 2, smallCropSize: 8 }) as EngineConfig;

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`swav on ${backend}`, () => {
    before(() => initBackend(backend));
    test('no tensor leak over 20 steps (queue and multi-crop on)', () => assertNoTensorLeak(everything));
    test('resume after 1 of 3 steps is bitwise exact (prototypes frozen, then not)', () => assertBitwiseResume(plain, { at: 1, steps: 3, stepsPerEpoch: 2 }));
    test('resume after 3 of 6 steps is bitwise exact (queue filling, then used)', () => assertBitwiseResume(everything, { at: 3, steps: 6, stepsPerEpoch: 2 }));
  });
}
