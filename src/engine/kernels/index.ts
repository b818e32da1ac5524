// Kernels that let the wasm backend train conv nets: the ones it lacks or gets wrong, and the ones
// whose wasm version made a training step several times slower. Each file explains its math. Where
// the native kernel pack is built (./native), its oneDNN and fused kernels replace them.
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2DBackpropFilter.ts';
import { conv2DBackpropInputConfig } from './conv2DBackpropInput.ts';
import { identityConfig } from './identity.ts';
import { maxPoolGradConfig } from './maxPoolGrad.ts';
import { batchMatMulConfig, fusedMatMulConfig } from './matMulTransposes.ts';
import { meanConfig, sumConfig } from './leadingAxesReduce.ts';
import { nativeWasmKernels } from './native/wasmKernels.ts';

export const wasmTrainingKernels: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  sumConfig,
  meanConfig,
  identityConfig,
];

/** Which kernels train on wasm: our wasm ones, or the native pack on top of them. */
export type WasmKernelSet = 'wasm' | 'native';

let registered: WasmKernelSet | undefined;

function replace(config: tf.KernelConfig): void {
  // Replacing a built-in kernel: unregister first so tfjs does not warn about a duplicate.
  if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
  tf.registerKernel(config);
}

/**
 * Registers the training kernels for the 'wasm' backend, silently replacing built-ins, plus the
 * native pack when it is built and `native` is not false. The first call decides; later calls
 * return its answer. Works before or after tf.setBackend('wasm') (wrapped built-ins keep their setup).
 */
export function registerWasmTrainingKernels({ native = true }: { native?: boolean } = {}): WasmKernelSet {
  if (registered) return registered;
  wasmTrainingKernels.forEach(replace);
  // built after ours are registered: the native kernels fall back to them for cases they skip
  const nativeKernels = native ? nativeWasmKernels() : undefined;
  nativeKernels?.forEach(replace);
  registered = nativeKernels ? 'native' : 'wasm';
  return registered;
}
