// A job's backbone in a format other frameworks load: PyTorch (safetensors) or ONNX. Built once per
// (checkpoint, format) from the checkpoint, on an engine thread (the engine's exportBackbone is the
// source of the tensors), and kept in S3 beside the checkpoints; later requests stream the stored file.
import type { Checkpoint, Job } from '../generated/prisma/client.ts';
import type { Services } from '../services.ts';
import { jobTrainingConfig, type TrainingConfig } from '../domain/trainingConfig.ts';
import { BACKBONE_SPECS, NORMALIZATION, featureDim } from '../engine/index.ts';
import { keys } from '../storage/keys.ts';
import { EngineClient } from '../engine/thread/client.ts';
import { encodeSafetensors, type SafetensorsTensor } from './safetensors.ts';
import { torchBackboneState, type TorchBackboneState } from './torchState.ts';
import { backboneOnnx } from './onnx.ts';

export const EXPORT_FORMATS = {
  safetensors: { extension: 'safetensors', contentType: 'application/octet-stream' },
  onnx: { extension: 'onnx', contentType: 'application/octet-stream' },
} as const;
export type ExportFormat = keyof typeof EXPORT_FORMATS;

/** The backbone of a checkpoint in torch layout, and the optimizer steps it was trained for. */
async function readBackbone(services: Services, config: TrainingConfig, checkpoint: Checkpoint): Promise<{ state: TorchBackboneState; steps: number }> {
  const bytes = await services.blobs.get(checkpoint.s3Key);
  const engine = new EngineClient();
  try {
    // stepsPerEpoch only shapes the LR schedule; a restore takes it from the checkpoint
    const init = await engine.call('init', { config, stepsPerEpoch: 1, checkpoint: bytes });
    return { state: torchBackboneState(await engine.call('exportBackbone', {})), steps: init.completedSteps };
  } finally {
    await engine.close();
  }
}

/** What a loader needs besides the weights: the architecture and how inputs were normalised. */
function exportMetadata(job: Job, checkpoint: Checkpoint, config: TrainingConfig): Record<string, string> {
  const { mean, std } = NORMALIZATION[config.channels];
  return {
    backbone: config.backbone,
    channels: String(config.channels),
    image_size: String(config.imageSize),
    feature_dim: String(featureDim(BACKBONE_SPECS[config.backbone])),
    normalize_mean: JSON.stringify(mean),
    normalize_std: JSON.stringify(std),
    input: 'float32 pixels scaled to [0, 1], then (x - mean) / std per channel; eval view: centre crop of 1/1.15 of the shorter side, resized to image_size',
    job_id: job.id,
    checkpoint_id: checkpoint.id,
    step: String(checkpoint.step),
  };
}

function encode(format: ExportFormat, { state, steps }: { state: TorchBackboneState; steps: number }, config: TrainingConfig, metadata: Record<string, string>): Uint8Array {
  if (format === 'onnx') {
    const spec = BACKBONE_SPECS[config.backbone];
    if (spec.family !== 'resnet') throw new Error(`no ONNX export for ${config.backbone}`);
    return backboneOnnx(state.floats, { spec, channels: config.channels, featureDim: featureDim(spec), metadata });
  }
  const tensors: SafetensorsTensor[] = state.floats.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) }));
  for (const bn of state.batchNorms) {
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigInt64(0, BigInt(steps), true);
    tensors.push({ name: `${bn}.num_batches_tracked`, dtype: 'I64', shape: [], data: count });
  }
  return encodeSafetensors(tensors, { format: 'pt', ...metadata });
}

/** Every export a checkpoint may have: deleted with the checkpoint. */
export const exportKeys = (jobId: string, checkpointId: string) =>
  Object.values(EXPORT_FORMATS).map((f) => keys.backboneExport(jobId, checkpointId, f.extension));

// concurrent requests for one export share one build
const building = new Map<string, Promise<void>>();

/** The S3 key of the export, built first if it does not exist yet. */
export async function backboneExport(services: Services, job: Job, checkpoint: Checkpoint, format: ExportFormat): Promise<string> {
  const key = keys.backboneExport(job.id, checkpoint.id, EXPORT_FORMATS[format].extension);
  if (await services.blobs.head(key)) return key;
  let build = building.get(key);
  if (!build) {
    build = (async () => {
      const config = jobTrainingConfig(job.config);
      const bytes = encode(format, await readBackbone(services, config, checkpoint), config, exportMetadata(job, checkpoint, config));
      await services.blobs.put(key, bytes, EXPORT_FORMATS[format].contentType);
    })().finally(() => building.delete(key));
    building.set(key, build);
  }
  await build;
  return key;
}
