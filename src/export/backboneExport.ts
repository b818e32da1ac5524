// A job's backbone in a format other frameworks load: PyTorch (safetensors) or ONNX. Built once per
// (checkpoint, format) from the checkpoint, on an engine thread (the engine's exportBackbone is the
// source of the tensors), and kept in S3 beside the checkpoints; later requests stream the stored file.
import type { Checkpoint, Job } from '../generated/prisma/client.ts';
import type { Services } from '../services.ts';
import { jobTrainingConfig, type TrainingConfig } from '../domain/trainingConfig.ts';
import type { NamedArray } from '../engine/index.ts';
import { keys } from '../storage/keys.ts';
import { EngineClient } from '../engine/thread/client.ts';
import { EXPORT_FORMATS, type ExportFormat, encodeExport, modelMetadata } from './exportFile.ts';

/** The engine's backbone tensors of a checkpoint, and the optimizer steps it was trained for. */
async function readBackbone(services: Services, config: TrainingConfig, checkpoint: Checkpoint): Promise<{ backbone: NamedArray[]; steps: number }> {
  const bytes = await services.blobs.get(checkpoint.s3Key);
  const engine = new EngineClient();
  try {
    // stepsPerEpoch only shapes the LR schedule; a restore takes it from the checkpoint
    const init = await engine.call('init', { config, stepsPerEpoch: 1, checkpoint: bytes });
    return { backbone: await engine.call('exportBackbone', {}), steps: init.completedSteps };
  } finally {
    await engine.close();
  }
}

/** The model's metadata and where it came from. */
function exportMetadata(job: Job, checkpoint: Checkpoint, config: TrainingConfig): Record<string, string> {
  return { ...modelMetadata(config), job_id: job.id, checkpoint_id: checkpoint.id, step: String(checkpoint.step) };
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
      const { backbone, steps } = await readBackbone(services, config, checkpoint);
      const bytes = encodeExport(format, backbone, steps, config, exportMetadata(job, checkpoint, config));
      await services.blobs.put(key, bytes, EXPORT_FORMATS[format].contentType);
    })().finally(() => building.delete(key));
    building.set(key, build);
  }
  await build;
  return key;
}
