// A ViT backbone from the engine (backbones/vit.ts, already under timm's names) as the state dict of
// timm's VisionTransformer without its head: linear weights [in, out] → [out, in], the patch kernel
// HWIO → OIHW, and `pos_embed` always present, as timm (and MoCo v3's frozen sin-cos table) keep it
// in the state dict; a sin-cos table is written for the job's image size.
import { type NamedArray, type VitOptions, type VitSpec, sincosPositionEmbedding } from '../engine/index.ts';
import { type TorchBackboneState, type TorchTensor, hwioToOihw, transposeMatrix } from './torchState.ts';

const TIMM_NAME = /^(cls_token|pos_embed|patch_embed\.proj\.(weight|bias)|norm\.(weight|bias)|blocks\.\d+\.(norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)\.(weight|bias))$/;

function timmLayout({ name, shape, data }: NamedArray): TorchTensor {
  if (!TIMM_NAME.test(name)) throw new Error(`backbone tensor ${name} has no timm VisionTransformer name`);
  const values = Float32Array.from(data);
  if (shape.length === 4) {
    const [kh, kw, cin, cout] = shape;
    return { name, shape: [cout, cin, kh, kw], data: hwioToOihw(values, shape) };
  }
  if (shape.length === 2) return { name, shape: [shape[1], shape[0]], data: transposeMatrix(values, shape) };
  return { name, shape: [...shape], data: values };
}

export function timmVitState(backbone: NamedArray[], spec: VitSpec, opts: VitOptions, imageSize: number): TorchBackboneState {
  const floats = backbone.map(timmLayout);
  if (opts.posEmbed === 'sincos') {
    const grid = imageSize / opts.patchSize;
    floats.push({ name: 'pos_embed', shape: [1, 1 + grid * grid, spec.dim], data: sincosPositionEmbedding(grid, grid, spec.dim).slice() });
  }
  return { floats, batchNorms: [] };
}
