// Kernels that let the wasm backend train conv nets: the ones it lacks or gets wrong, and the ones
// whose wasm version made a training step several times slower. Each file explains its math.
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

/**
 * Registers the training kernels for the 'wasm' backend, silently replacing built-ins; idempotent.
 * Works before or after tf.setBackend('wasm') (wrapped built-ins keep their setup).
 */
export function registerWasmTrainingKernels(): void {
  for (const config of wasmTrainingKernels) {
    if (tf.getKernel(config.kernelName, 'wasm') === config) continue;
    // Replacing a built-in kernel: unregister first so tfjs does not warn about a duplicate.
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
}
