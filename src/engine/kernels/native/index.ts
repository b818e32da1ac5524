// Optional oneDNN convolutions (feasibility spike, not used by the engine): present only when
// built by hand with node-gyp (see bench/native.ts); every caller must cope with `undefined`.
import { createRequire } from 'node:module';

export const ConvKind = { forward: 0, backwardData: 1, backwardWeights: 2 } as const;

/** Geometry in tfjs terms: x [n,h,w,ci] (NHWC), filter [kh,kw,ci,co] (HWIO), y [n,oh,ow,co]. */
export interface ConvGeometry {
  n: number; h: number; w: number; ci: number; kh: number; kw: number; co: number; oh: number; ow: number;
  strideH: number; strideW: number; padTop: number; padLeft: number; padBottom: number; padRight: number;
}

export interface NativeConv {
  /** forward: (x, filter) -> y; backwardData: (dy, filter) -> dx; backwardWeights: (x, dy) -> dW */
  conv(kind: number, a: Float32Array, b: Float32Array, out: Float32Array, ...geometry: number[]): void;
}

export function loadNativeConv(): NativeConv | undefined {
  try {
    return createRequire(import.meta.url)('./build/Release/dnnl_conv.node') as NativeConv;
  } catch {
    return undefined;
  }
}

export function runConv(native: NativeConv, kind: number, a: Float32Array, b: Float32Array, out: Float32Array, g: ConvGeometry): void {
  native.conv(kind, a, b, out, g.n, g.h, g.w, g.ci, g.kh, g.kw, g.co, g.oh, g.ow, g.strideH, g.strideW, g.padTop, g.padLeft, g.padBottom, g.padRight);
}
