// A backbone from the engine (exportBackbone: HWIO conv kernels, [in, out] linear weights, engine
// names) in PyTorch's layout. For a ResNet: torchvision names, OIHW kernels, and the
// `num_batches_tracked` counter every BatchNorm2d carries; a ViT's is in timmVitState.ts.
import type { NamedArray } from '../engine/index.ts';
import { torchvisionName } from './torchvisionNames.ts';

export interface TorchTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface TorchBackboneState {
  /** float32 parameters and running statistics, torchvision names and layout */
  floats: TorchTensor[];
  /** BatchNorm modules (names without the trailing `.running_mean`), for `num_batches_tracked` */
  batchNorms: string[];
}

/** [kh, kw, in, out] → [out, in, kh, kw] */
export function hwioToOihw(data: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let h = 0; h < kh; h++) {
    for (let w = 0; w < kw; w++) {
      for (let i = 0; i < cin; i++) {
        const src = ((h * kw + w) * cin + i) * cout;
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + h) * kw + w] = data[src + o];
      }
    }
  }
  return out;
}

/** [rows, cols] → [cols, rows]: an engine linear weight [in, out] as PyTorch's [out, in] */
export function transposeMatrix(data: Float32Array, [rows, cols]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** A ResNet backbone under torchvision's names. */
export function torchBackboneState(backbone: NamedArray[]): TorchBackboneState {
  const floats = backbone.map(({ name, shape, data }) => {
    const torchName = torchvisionName(name);
    if (shape.length !== 4) return { name: torchName, shape: [...shape], data: Float32Array.from(data) };
    const [kh, kw, cin, cout] = shape;
    return { name: torchName, shape: [cout, cin, kh, kw], data: hwioToOihw(Float32Array.from(data), shape) };
  });
  const batchNorms = floats.filter((t) => t.name.endsWith('.running_mean')).map((t) => t.name.slice(0, -'.running_mean'.length));
  return { floats, batchNorms };
}
