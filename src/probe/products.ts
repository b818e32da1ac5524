// The linear probe's two matrix products: a batch's logits and its weight gradient. Plain JS loops in
// float64 are exact and the same on every host, but run at scalar speed, which made a 60 000-row probe
// take hours; the native kernel pack's sgemm (float32, multithreaded) does the same products fast.
// The native products are used when the pack is built; SIMSIAM_NATIVE_KERNELS=off forces the JS ones.
import { loadNativeKernels, type NativeKernels } from '../engine/index.ts';

export type ProductsKind = 'float64 JS loops' | 'float32 native sgemm';

/** The products of a softmax regression with weights w [classes, dim], row-major. */
export interface ProbeProducts {
  readonly kind: ProductsKind;
  /** out[r, c] = sum_j x[r, j] * w[c, j] for the first `rows` rows of x */
  logits(x: Float32Array, rows: number, w: Float64Array, out: Float64Array): void;
  /** out[c, j] = sum_r g[r, c] * x[r, j] over the first `rows` rows */
  weightGradient(g: Float64Array, x: Float32Array, rows: number, out: Float64Array): void;
}

export function jsProducts(dim: number, classes: number): ProbeProducts {
  return {
    kind: 'float64 JS loops',
    logits(x, rows, w, out) {
      for (let r = 0; r < rows; r++) {
        const base = r * dim;
        for (let c = 0; c < classes; c++) {
          const wc = c * dim;
          let z = 0;
          for (let j = 0; j < dim; j++) z += x[base + j] * w[wc + j];
          out[r * classes + c] = z;
        }
      }
    },
    weightGradient(g, x, rows, out) {
      out.fill(0);
      for (let r = 0; r < rows; r++) {
        const base = r * dim;
        for (let c = 0; c < classes; c++) {
          const gc = g[r * classes + c];
          const oc = c * dim;
          for (let j = 0; j < dim; j++) out[oc + j] += gc * x[base + j];
        }
      }
    },
  };
}

export function nativeProducts(kernels: NativeKernels, dim: number, classes: number, maxRows: number): ProbeProducts {
  const w32 = new Float32Array(classes * dim);
  const out32 = new Float32Array(Math.max(maxRows * classes, classes * dim));
  const g32 = new Float32Array(maxRows * classes);
  return {
    kind: 'float32 native sgemm',
    logits(x, rows, w, out) {
      w32.set(w);
      kernels.matmul(x.subarray(0, rows * dim), w32, out32.subarray(0, rows * classes), 1, 1, 1, rows, classes, dim, false, true);
      for (let i = 0; i < rows * classes; i++) out[i] = out32[i];
    },
    weightGradient(g, x, rows, out) {
      for (let i = 0; i < rows * classes; i++) g32[i] = g[i];
      kernels.matmul(g32.subarray(0, rows * classes), x.subarray(0, rows * dim), out32.subarray(0, classes * dim), 1, 1, 1, classes, dim, rows, true, false);
      for (let i = 0; i < classes * dim; i++) out[i] = out32[i];
    },
  };
}

export type ProductsFactory = (dim: number, classes: number, maxRows: number) => ProbeProducts;

/** The fastest products this host has, for batches of at most `maxRows` rows. */
export function probeProducts(dim: number, classes: number, maxRows: number): ProbeProducts {
  const kernels = loadNativeKernels();
  return kernels ? nativeProducts(kernels, dim, classes, maxRows) : jsProducts(dim, classes);
}
