// The optional native kernel pack (oneDNN convolutions and sgemm, fused batch norm and SGD, the
// transformer's layer norm, GELU and softmax; sources in this folder). `npm install` builds it when
// the host has libdnnl-dev and a compiler (scripts/build-native-kernels.mjs) and never fails without
// them, so every caller must cope with `undefined`. SIMSIAM_NATIVE_KERNELS=off ignores a built addon.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Where node-gyp puts the addon (binding.gyp's target). */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('./build/Release/simsiam_kernels.node', import.meta.url));

type F32 = Float32Array;
type Optional = Float32Array | null;

/** The addon's exports; outputs are written into the arrays passed in. See addon.cc. */
export interface NativeKernels {
  conv(kind: number, a: F32, b: F32, out: F32, ...geometry: number[]): void;
  matmul(a: F32, b: F32, out: F32, batch: number, aBatch: number, bBatch: number, m: number, n: number, k: number, transA: boolean, transB: boolean): void;
  batchNormForward(x: F32, gamma: Optional, beta: Optional, y: F32, mean: F32, variance: F32, rows: number, c: number, eps: number): void;
  batchNormBackward(dy: F32, x: F32, mean: F32, variance: F32, gamma: Optional, dx: F32, dgamma: Optional, dbeta: Optional, rows: number, c: number, eps: number): void;
  sgdUpdate(param: F32, grad: F32, buf: F32, paramOut: F32, bufOut: F32, size: number, lr: number, momentum: number, weightDecay: number): void;
  layerNormForward(x: F32, gamma: F32, beta: F32, y: F32, mean: F32, rstd: F32, rows: number, c: number, eps: number): void;
  layerNormBackward(dy: F32, x: F32, mean: F32, rstd: F32, gamma: F32, dx: F32, dgamma: F32, dbeta: F32, rows: number, c: number): void;
  geluForward(x: F32, y: F32, size: number): void;
  geluBackward(dy: F32, x: F32, dx: F32, size: number): void;
  softmaxForward(x: F32, y: F32, rows: number, c: number): void;
  softmaxBackward(dy: F32, y: F32, dx: F32, rows: number, c: number): void;
  /** out[i...] = x[offset + sum_k i_k * strides[k]] over `shape` (a transpose or a slice) */
  stridedCopy(x: F32, out: F32, shape: number[], strides: number[], offset: number): void;
  /** OpenMP threads the kernels use (OMP_NUM_THREADS, else one per core) */
  threads(): number;
  /** bytes the calling thread keeps for convolutions between calls (scratchpad, reordered filter) */
  scratchBytes(): number;
}

export const ConvKind = { forward: 0, backwardData: 1, backwardWeights: 2 } as const;

/** Geometry in tfjs terms: x [n,h,w,ci] (NHWC), filter [kh,kw,ci,co] (HWIO), y [n,oh,ow,co]. */
export interface ConvGeometry {
  n: number; h: number; w: number; ci: number; kh: number; kw: number; co: number; oh: number; ow: number;
  strideH: number; strideW: number; padTop: number; padLeft: number; padBottom: number; padRight: number;
}

let loaded: NativeKernels | null | undefined;

export function loadNativeKernels(): NativeKernels | undefined {
  if (loaded === undefined) {
    // OpenMP reads this when the addon loads it. Idle threads that spin between kernels take the cores
    // a shared host's other work needs (training was many times slower beside other processes), while
    // sleeping ones cost a quiet machine a little (docs/performance.md); OMP_WAIT_POLICY=ACTIVE suits a
    // worker alone on its cores
    process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
    try {
      loaded = process.env.SIMSIAM_NATIVE_KERNELS === 'off' ? null : (createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeKernels);
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

export function runConv(native: NativeKernels, kind: number, a: F32, b: F32, out: F32, g: ConvGeometry): void {
  native.conv(kind, a, b, out, g.n, g.h, g.w, g.ci, g.kh, g.kw, g.co, g.oh, g.ow, g.strideH, g.strideW, g.padTop, g.padLeft, g.padBottom, g.padRight);
}
