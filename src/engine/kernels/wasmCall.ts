// Calls other wasm kernels from inside a kernel. Going through the kernel registry (not
// tf.engine().runKernel) keeps intermediates backend-owned: they never enter the engine's
// bookkeeping, so the caller frees each one with `release` and returns only its final output.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Attrs = tf.NamedAttrMap;

export function callWasm(backend: BackendWasm, kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: Attrs = {}): tf.TensorInfo {
  const config = tf.getKernel(kernelName, 'wasm');
  if (!config) throw new Error(`wasm kernel ${kernelName} is not registered`);
  return config.kernelFunc({ inputs, attrs, backend }) as tf.TensorInfo;
}

export function release(backend: BackendWasm, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export const transpose = (backend: BackendWasm, x: tf.TensorInfo, perm: number[]) => callWasm(backend, 'Transpose', { x }, { perm });
