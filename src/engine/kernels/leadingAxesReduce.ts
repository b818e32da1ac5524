// Sum/Mean for wasm over leading axes (BN statistics and their gradients reduce NHWC over N, H, W).
// The wasm kernels first transpose the reduced axes innermost, a strided copy of the whole tensor
// that costs ~5x the reduction itself. Viewing x as [rows, cols], the sum is ones[1, rows] x X, a
// matmul that XNNPACK streams through in order (mean: fill with 1/rows instead of ones). Other
// axes and dtypes go to the original kernel.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasm, release } from './wasmCall.ts';

/** k when `axis` is exactly the first k (< rank) axes of `shape`, else undefined. */
function leadingAxes(shape: number[], axis: number | number[]): number | undefined {
  const axes = [...tf.util.parseAxisParam(axis, shape)].sort((a, b) => a - b);
  const k = axes.length;
  return k > 0 && k < shape.length && axes.every((a, i) => a === i) ? k : undefined;
}

function withLeadingAxesPath(kernelName: string, mean: boolean): tf.KernelConfig {
  const original = tf.getKernel(kernelName, 'wasm');
  if (!original) throw new Error(`wasm kernel ${kernelName} is not registered`);
  return {
    ...original,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = inputs.x as tf.TensorInfo;
      const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
      const k = leadingAxes(x.shape, axis);
      if (k === undefined || x.dtype !== 'float32') return original.kernelFunc({ inputs, backend, attrs });
      const wasm = backend as BackendWasm;
      const kept = x.shape.slice(k);
      const cols = tf.util.sizeFromShape(kept);
      const rows = tf.util.sizeFromShape(x.shape) / cols;
      const weights = callWasm(wasm, 'Fill', {}, { shape: [1, rows], value: mean ? 1 / rows : 1, dtype: 'float32' });
      const matrix = callWasm(wasm, 'Reshape', { x }, { shape: [rows, cols] });
      const product = callWasm(wasm, 'BatchMatMul', { a: weights, b: matrix }, { transposeA: false, transposeB: false });
      const out = callWasm(wasm, 'Reshape', { x: product }, { shape: keepDims ? [...x.shape.slice(0, k).map(() => 1), ...kept] : kept });
      release(wasm, weights, matrix, product);
      return out;
    },
  };
}

export const sumConfig = withLeadingAxesPath(tf.Sum, false);
export const meanConfig = withLeadingAxesPath(tf.Mean, true);
