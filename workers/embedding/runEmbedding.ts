// One embedding set: frozen features of every image of a dataset under one checkpoint, written to S3
// as vectors.npy (float32 [N, D]) and rows.json (image id + label per row, same order). Vectors are
// spooled to a local file first, because the .npy header needs N and undecodable images drop out;
// memory stays at one batch for any dataset size.
import fs from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ImageLoader } from '../../src/data/loader.ts';
import { datasetImages } from '../../src/data/manifest.ts';
import { npyHeader } from '../../src/data/npy.ts';
import { keys } from '../../src/storage/keys.ts';
import { openFrozenModel } from '../../src/hosting/frozenModel.ts';
import { ROWS_CONTENT_TYPE, rowLine, rowsClosing, rowsOpening } from '../../src/serving/rowsFile.ts';
import { JobFailure } from '../training/jobRecord.ts';
import { featureBatches } from './featureBatches.ts';
import type { TaskRecord } from './taskRecord.ts';
import { taskModelSource, type TaskContext } from './context.ts';

export async function runEmbedding(ctx: TaskContext, setId: string, record: TaskRecord): Promise<void> {
  const { services, log } = ctx;
  const set = await services.db.embeddingSet.findUnique({ where: { id: setId } });
  if (!set || set.status === 'succeeded' || set.status === 'failed') return;
  const source = await taskModelSource(services, set.jobId, set.checkpointId);
  const images = await datasetImages(services.db, set.datasetId);
  if (!images.length) throw new JobFailure('DATASET_EMPTY', `dataset ${set.datasetId} has no images`);
  await record.start();

  const started = performance.now();
  const model = await openFrozenModel(services.blobs, { ...source, backend: ctx.backend });
  const spool = await fs.mkdtemp(path.join(os.tmpdir(), `simsiam-${setId}-`));
  try {
    const loader = new ImageLoader(images, model.spec, { blobs: services.blobs, cache: ctx.cache });
    const vectorsFile = path.join(spool, 'vectors.f32');
    const rowsFile = path.join(spool, 'rows.json');
    const vectors = await fs.open(vectorsFile, 'w');
    const rows = await fs.open(rowsFile, 'w');
    let count = 0;
    try {
      await rows.write(rowsOpening);
      const order = images.map((_, i) => i);
      for await (const batch of featureBatches(model, loader, order)) {
        await vectors.write(new Uint8Array(batch.features.buffer, batch.features.byteOffset, batch.features.byteLength));
        await rows.write(batch.indices.map((i) => rowLine({ imageId: images[i].id, label: images[i].label }, count++)).join(''));
      }
      await rows.write(rowsClosing);
    } finally {
      await vectors.close();
      await rows.close();
    }
    if (!count) throw new JobFailure('NO_DECODABLE_IMAGES', `none of the ${images.length} images of dataset ${set.datasetId} decode`);

    const vectorsKey = keys.embeddingVectors(setId);
    const rowsKey = keys.embeddingRows(setId);
    const header = npyHeader([count, model.featureDim]);
    await services.blobs.putStream(vectorsKey, Readable.from((async function* () {
      yield header;
      yield* createReadStream(vectorsFile);
    })()), 'application/octet-stream');
    await services.blobs.putStream(rowsKey, createReadStream(rowsFile), ROWS_CONTENT_TYPE);
    await record.succeed('count = $2, dim = $3, vectors_key = $4, rows_key = $5', [count, model.featureDim, vectorsKey, rowsKey]);
    log.info({ setId, count, dim: model.featureDim, skipped: loader.failed.size, ms: Math.round(performance.now() - started) }, 'embedding set written');
  } finally {
    await model.close();
    await fs.rm(spool, { recursive: true, force: true });
  }
}
