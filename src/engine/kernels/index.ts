// Training kernels the wasm backend lacks or gets wrong; see each file for the math.
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2DBackpropFilter.ts';
import { conv2DBackpropInputConfig } from './conv2DBackpropInput.ts';
import { maxPoolGradConfig } from './maxPoolGrad.ts';
import { batchMatMulConfig, fusedMatMulConfig } from './matMulTransposes.ts';
import { meanConfig, sumConfig } from './leadingAxesReduce.ts';

export const wasmTrainingKernels: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  sumConfig,
  meanConfig,
];

/** Registers (or re-registers, silently) the training kernels for the 'wasm' backend; idempotent. */
export function registerWasmTrainingKernels(): void {
  for (const config of wasmTrainingKernels) {
    if (tf.getKernel(config.kernelName, 'wasm') === config) continue;
    // Replacing a built-in kernel: unregister first so tfjs does not warn about a duplicate.
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
}
