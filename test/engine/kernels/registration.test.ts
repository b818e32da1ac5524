import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels, wasmTrainingKernels } from '../../../src/engine/kernels/index.ts';
import { FusedKernel } from '../../../src/engine/kernels/fused.ts';
import { loadNativeKernels } from '../../../src/engine/kernels/native/index.ts';

test('registerWasmTrainingKernels is idempotent and silent; the native pack goes on top where it is built', () => {
  const warnings: unknown[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args);
  let set;
  try {
    set = registerWasmTrainingKernels();
    assert.equal(registerWasmTrainingKernels({ native: false }), set, 'the first call decides');
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warnings, []);
  const native = loadNativeKernels() !== undefined;
  assert.equal(set, native ? 'native' : 'wasm');
  // the native pack replaces the convolution gradients and BatchMatMul; the rest stay ours
  const replacedByNative = new Set<string>([tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput, tf.BatchMatMul]);
  for (const config of wasmTrainingKernels) {
    const expectOurs = !(native && replacedByNative.has(config.kernelName));
    assert.equal(tf.getKernel(config.kernelName, 'wasm') === config, expectOurs, config.kernelName);
  }
  for (const name of Object.values(FusedKernel)) assert.equal(tf.getKernel(name, 'wasm') !== undefined, native, name);
});
