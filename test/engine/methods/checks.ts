// Registers the contract checks (contract.ts) for one method's config, on cpu and on wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { type EngineConfig, Trainer, initBackend } from '../../../src/engine/index.ts';
import { tinyConfig } from '../helpers.ts';
import { assertBitwiseResume, assertNoTensorLeak } from './contract.ts';

/** Registers the checks for one method's config `overrides` (backend left on wasm afterwards). */
export function methodEngineChecks(method: string, overrides: Record<string, unknown>): void {
  const config = tinyConfig({ method, ...overrides }) as EngineConfig;
  const name = `${method} ${JSON.stringify(overrides)}`;

  test(`${name}: no tensor leak over 20 steps, and none left after dispose (cpu)`, async () => {
    await initBackend('cpu');
    const before = tf.memory().numTensors;
    assertNoTensorLeak(config);
    new Trainer(config, 2).dispose();
    assert.equal(tf.memory().numTensors, before, 'disposing the trainer frees everything it made');
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    test(`${name}: resume is bitwise exact (${backend})`, async () => {
      await initBackend(backend);
      assertBitwiseResume(config, { stepsPerEpoch: 2 });
    });
  }
}
