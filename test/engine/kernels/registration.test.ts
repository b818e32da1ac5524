import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels, wasmTrainingKernels } from '../../../src/engine/kernels/index.ts';

test('registerWasmTrainingKernels is idempotent and silent', () => {
  const warnings: unknown[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args);
  try {
    registerWasmTrainingKernels();
    registerWasmTrainingKernels();
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warnings, []);
  for (const config of wasmTrainingKernels) assert.equal(tf.getKernel(config.kernelName, 'wasm'), config);
});
