// `simsiam embeddings JOB --dataset ID --out x.npy`: asks for the embedding set of (job, checkpoint,
// dataset) (an existing one is reused), waits for it, and downloads its vectors as a float32 .npy.
import path from 'node:path';
import { Command } from 'commander';
import { unwrap } from './api.ts';
import { withContext } from './context.ts';
import { download } from './download.ts';
import { emit, formatBytes } from './output.ts';
import { succeededTask } from './tasks.ts';

interface EmbeddingsOptions {
  dataset: string;
  out: string;
  checkpoint?: string;
}

export function embeddingsCommand(): Command {
  return new Command('embeddings')
    .description("embed a dataset with a job's backbone and download the vectors as .npy")
    .argument('<job>')
    .requiredOption('--dataset <id>', 'the dataset to embed')
    .requiredOption('--out <file.npy>', 'where to write the [N, D] float32 matrix')
    .option('--checkpoint <id>', 'a checkpoint of the job (default: the final one)')
    .action(
      withContext(async (ctx, jobId: string, opts: EmbeddingsOptions) => {
        const conn = await ctx.connection();
        const body = { datasetId: opts.dataset, ...(opts.checkpoint ? { checkpoint: opts.checkpoint } : {}) };
        const requested = await unwrap(conn, conn.client.POST('/v1/jobs/{id}/embeddings', { params: { path: { id: jobId } }, body }));
        const set = await succeededTask(ctx.out, 'embedding set', () =>
          unwrap(conn, conn.client.GET('/v1/embeddings/{id}', { params: { path: { id: requested.id } } })),
        );
        if (!set) return;
        const out = path.resolve(opts.out);
        const bytes = await download(ctx.out, conn, `/v1/embeddings/${encodeURIComponent(set.id)}/vectors?format=npy`, out);
        emit(ctx.out, { ...set, out, bytes }, `wrote ${opts.out}: ${set.count} x ${set.dim} float32 (${formatBytes(bytes)}, embedding set ${set.id})`);
      }),
    );
}
