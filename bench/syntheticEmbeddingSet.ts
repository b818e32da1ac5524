// A succeeded embedding set written straight to S3 and PostgreSQL, hung on a finished job (with a
// final checkpoint) and a dataset of its own: for benches that read sets without training a model.
import { Readable } from 'node:stream';
import type { Services } from '../src/services.ts';
import { newId } from '../src/domain/ids.ts';
import { keys } from '../src/storage/keys.ts';
import { npyHeader } from '../src/data/npy.ts';
import { ROWS_CONTENT_TYPE, rowLine, rowsClosing, rowsOpening, type Row } from '../src/serving/rowsFile.ts';

export interface SyntheticSet {
  rows: number;
  dim: number;
  /** the vectors in row order, in chunks of whole rows */
  vectors: Iterable<Float32Array>;
  row(i: number): Row;
}

export async function seedEmbeddingSet({ db, blobs }: Pick<Services, 'db' | 'blobs'>, tenantId: string, set: SyntheticSet) {
  const datasetId = newId('ds');
  await db.dataset.create({ data: { id: datasetId, tenantId, name: 'bench' } });
  const jobId = newId('job');
  await db.job.create({ data: { id: jobId, tenantId, datasetId, config: {}, status: 'succeeded' } });
  const checkpointId = newId('ckpt');
  await db.checkpoint.create({ data: { id: checkpointId, jobId, epoch: 1, step: 1, s3Key: 'unused', sizeBytes: 0n, isFinal: true } });
  const setId = newId('emb');
  const vectorsKey = keys.embeddingVectors(setId);
  const rowsKey = keys.embeddingRows(setId);
  await blobs.putStream(vectorsKey, Readable.from((function* () {
    yield npyHeader([set.rows, set.dim]);
    for (const chunk of set.vectors) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  })()), 'application/octet-stream');
  await blobs.putStream(rowsKey, Readable.from((function* () {
    yield rowsOpening;
    for (let i = 0; i < set.rows; i++) yield rowLine(set.row(i), i);
    yield rowsClosing;
  })()), ROWS_CONTENT_TYPE);
  await db.embeddingSet.create({
    data: { id: setId, tenantId, jobId, checkpointId, datasetId, status: 'succeeded', count: set.rows, dim: set.dim, vectorsKey, rowsKey, finishedAt: new Date() },
  });
  return { setId, vectorsKey };
}
