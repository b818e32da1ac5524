// BatchMatMul/_FusedMatMul for wasm without transpose flags. The wasm kernel sends any transposed
// operand to a naive loop (measured 10-30x slower than its XNNPACK path, e.g. 1.3 s vs 0.05 s for
// [128,512]^T x [128,2048]), and every matmul gradient uses a transposed operand. Transposing the
// operand explicitly (a memory-bound copy) and calling the original kernel untransposed is exact.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { release, transpose } from './wasmCall.ts';

function swapLastTwo(wasm: BackendWasm, x: tf.TensorInfo): tf.TensorInfo {
  const perm = x.shape.map((_, i) => i);
  perm.splice(-2, 2, perm.length - 1, perm.length - 2);
  return transpose(wasm, x, perm);
}

/** Wraps a registered wasm matmul kernel (inputs a, b; attrs transposeA/B) keeping its setup. */
function withoutTransposes(kernelName: string): tf.KernelConfig {
  const original = tf.getKernel(kernelName, 'wasm');
  if (!original) throw new Error(`wasm kernel ${kernelName} is not registered`);
  return {
    ...original,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      if (!transposeA && !transposeB) return original.kernelFunc({ inputs, backend, attrs });
      const wasm = backend as BackendWasm;
      const copies: tf.TensorInfo[] = [];
      const plain = (x: tf.TensorInfo, transposed: boolean) => (transposed ? copies[copies.push(swapLastTwo(wasm, x)) - 1] : x);
      const out = original.kernelFunc({
        inputs: { ...inputs, a: plain(inputs.a as tf.TensorInfo, transposeA), b: plain(inputs.b as tf.TensorInfo, transposeB) },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
      release(wasm, ...copies);
      return out;
    },
  };
}

export const batchMatMulConfig = withoutTransposes(tf.BatchMatMul);
export const fusedMatMulConfig = withoutTransposes(tf._FusedMatMul);
