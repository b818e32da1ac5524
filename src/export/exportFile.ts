// The bytes of an export from the engine's backbone tensors (exportBackbone): safetensors in PyTorch's
// layout (torchvision's ResNet or timm's VisionTransformer names) or an ONNX graph, and the metadata a
// loader needs to rebuild the network and feed it. Pure: no engine thread, no storage.
import { BACKBONE_SPECS, type EngineConfig, LN_EPS, NORMALIZATION, type NamedArray, featureDim, vitOptionsOf } from '../engine/index.ts';
import { encodeSafetensors, type SafetensorsTensor } from './safetensors.ts';
import { torchBackboneState, type TorchBackboneState } from './torchState.ts';
import { timmVitState } from './timmVitState.ts';
import { resnetOnnx } from './onnxResnet.ts';
import { vitOnnx } from './onnxVit.ts';

export const EXPORT_FORMATS = {
  safetensors: { extension: 'safetensors', contentType: 'application/octet-stream' },
  onnx: { extension: 'onnx', contentType: 'application/octet-stream' },
} as const;
export type ExportFormat = keyof typeof EXPORT_FORMATS;

/** torchvision's ResNet or timm's VisionTransformer state dict. */
export function torchState(config: EngineConfig, backbone: NamedArray[]): TorchBackboneState {
  const spec = BACKBONE_SPECS[config.backbone];
  return spec.family === 'resnet' ? torchBackboneState(backbone) : timmVitState(backbone, spec, vitOptionsOf(config), config.imageSize);
}

/** How to rebuild a ViT around the weights (a ResNet's backbone name says it all). */
function vitMetadata(config: EngineConfig): Record<string, string> {
  const spec = BACKBONE_SPECS[config.backbone];
  if (spec.family !== 'vit') return {};
  const { patchSize, posEmbed, pool } = vitOptionsOf(config);
  return {
    dim: String(spec.dim),
    depth: String(spec.depth),
    heads: String(spec.heads),
    mlp_ratio: String(spec.mlpRatio),
    patch_size: String(patchSize),
    pos_embed: posEmbed,
    pool,
    layer_norm_eps: String(LN_EPS),
  };
}

/** What a loader needs besides the weights: the architecture and how inputs were normalised. */
export function modelMetadata(config: EngineConfig): Record<string, string> {
  const { mean, std } = NORMALIZATION[config.channels];
  return {
    backbone: config.backbone,
    channels: String(config.channels),
    image_size: String(config.imageSize),
    feature_dim: String(featureDim(BACKBONE_SPECS[config.backbone])),
    ...vitMetadata(config),
    normalize_mean: JSON.stringify(mean),
    normalize_std: JSON.stringify(std),
    input: 'float32 pixels scaled to [0, 1], then (x - mean) / std per channel; eval view: centre crop of 1/1.15 of the shorter side, resized to image_size',
  };
}

/** `steps`: the optimizer steps trained, PyTorch's BatchNorm `num_batches_tracked`. */
export function encodeExport(format: ExportFormat, backbone: NamedArray[], steps: number, config: EngineConfig, metadata: Record<string, string>): Uint8Array {
  const state = torchState(config, backbone);
  const spec = BACKBONE_SPECS[config.backbone];
  const { channels, imageSize } = config;
  if (format === 'onnx') {
    return spec.family === 'resnet'
      ? resnetOnnx(state.floats, { spec, channels, featureDim: featureDim(spec), metadata })
      : vitOnnx(state.floats, { spec, vit: vitOptionsOf(config), imageSize, channels, metadata });
  }
  const tensors: SafetensorsTensor[] = state.floats.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) }));
  for (const bn of state.batchNorms) {
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigInt64(0, BigInt(steps), true);
    tensors.push({ name: `${bn}.num_batches_tracked`, dtype: 'I64', shape: [], data: count });
  }
  return encodeSafetensors(tensors, { format: 'pt', ...metadata });
}
