// `simsiam datasets upload DATASET DIR|ARCHIVE`: one streamed POST /v1/datasets/:id/archive. A
// directory becomes a tar on the fly; a .tar or .tar.gz goes as it is (the service tells gzip by its
// magic bytes). Prints the service's {added, duplicates, skipped} summary.
import fs from 'node:fs';
import type { components } from '../client/index.ts';
import { postStream, unwrap } from './api.ts';
import type { Context } from './context.ts';
import { usageError } from './exitCodes.ts';
import { listFolder, packFolder } from './imageFolderTar.ts';
import { emit } from './output.ts';
import { ByteProgress, counted } from './transfer.ts';

type IngestResult = components['schemas']['IngestResult'];

interface Upload {
  body: AsyncIterable<Uint8Array>;
  contentType: string;
  progress: ByteProgress;
}

async function folderUpload(ctx: Context, dir: string): Promise<Upload> {
  const files = await listFolder(dir);
  if (!files.length) throw usageError(`no files under ${dir}`);
  const size = files.reduce((sum, f) => sum + f.size, 0);
  // the bar counts the files' bytes as they are packed; the tar's headers are not counted
  const progress = new ByteProgress(ctx.out, 'uploading', size, ' | {files}/{fileTotal} files', { files: 0, fileTotal: files.length });
  let packed = 0;
  const body = packFolder(files, { onBytes: (n) => progress.add(n), onFile: () => progress.update({ files: (packed += 1) }) });
  return { body, contentType: 'application/x-tar', progress };
}

/** gzip's magic bytes, or a tar header's "ustar" magic: anything else would only be refused by the service. */
async function checkArchive(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  const head = Buffer.alloc(512);
  try {
    await handle.read(head, 0, 512, 0);
  } finally {
    await handle.close();
  }
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  if (!gzip && head.toString('latin1', 257, 262) !== 'ustar') throw usageError(`${file} is not a .tar or .tar.gz archive (nor a directory)`);
}

function archiveUpload(ctx: Context, file: string, size: number): Upload {
  const progress = new ByteProgress(ctx.out, 'uploading', size);
  const body = counted(fs.createReadStream(file), (n) => progress.add(n));
  return { body, contentType: /\.t?gz$/i.test(file) ? 'application/gzip' : 'application/x-tar', progress };
}

function summary(result: IngestResult): string {
  const lines = [`added ${result.added}, duplicates ${result.duplicates}, skipped ${result.skippedCount}`];
  const shown = result.skipped.slice(0, 5);
  for (const s of shown) lines.push(`  skipped ${s.name}: ${s.reason}`);
  if (result.skippedCount > shown.length) lines.push(`  ... and ${result.skippedCount - shown.length} more (--json lists up to 1000)`);
  return lines.join('\n');
}

export async function uploadToDataset(ctx: Context, datasetId: string, source: string): Promise<void> {
  const stat = await fs.promises.stat(source).catch(() => undefined);
  if (!stat) throw usageError(`no such file or directory: ${source}`);
  if (!stat.isDirectory() && !stat.isFile()) throw usageError(`${source} is neither a directory nor an archive file`);
  if (stat.isFile()) await checkArchive(source);
  const conn = await ctx.connection();
  // a refusal while the body streams can lose its answer with the connection: check the dataset
  // (and the key) first, so that a wrong id or key gets its own message and exit code
  await unwrap(conn, conn.client.GET('/v1/datasets/{id}', { params: { path: { id: datasetId } } }));
  const upload = stat.isDirectory() ? await folderUpload(ctx, source) : archiveUpload(ctx, source, stat.size);
  let result: IngestResult;
  try {
    result = (await postStream(conn, `/v1/datasets/${encodeURIComponent(datasetId)}/archive`, upload.contentType, upload.body)) as IngestResult;
  } finally {
    upload.progress.stop();
  }
  emit(ctx.out, result, () => summary(result));
}
