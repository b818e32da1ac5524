// `simsiam datasets create|ls|show|upload`.
import { Command } from 'commander';
import { unwrap } from './api.ts';
import { positiveInt, withContext } from './context.ts';
import { emit, table } from './output.ts';
import { uploadToDataset } from './upload.ts';

const create = new Command('create')
  .description('create an empty dataset; prints its id')
  .argument('<name>')
  .option('--description <text>')
  .action(
    withContext(async (ctx, name: string, opts: { description?: string }) => {
      const conn = await ctx.connection();
      const dataset = await unwrap(conn, conn.client.POST('/v1/datasets', { body: { name, description: opts.description ?? null } }));
      emit(ctx.out, dataset, dataset.id);
    }),
  );

const list = new Command('ls')
  .description('list datasets, newest first')
  .option('--limit <n>', 'at most this many', positiveInt('--limit'), 50)
  .action(
    withContext(async (ctx, opts: { limit: number }) => {
      const conn = await ctx.connection();
      const page = await unwrap(conn, conn.client.GET('/v1/datasets', { params: { query: { limit: opts.limit } } }));
      emit(ctx.out, page, () =>
        page.items.length ? table([['ID', 'NAME', 'CREATED'], ...page.items.map((d) => [d.id, d.name, d.createdAt])]) : 'no datasets',
      );
    }),
  );

const show = new Command('show')
  .description('a dataset with its image count and labels')
  .argument('<dataset>')
  .action(
    withContext(async (ctx, id: string) => {
      const conn = await ctx.connection();
      const d = await unwrap(conn, conn.client.GET('/v1/datasets/{id}', { params: { path: { id } } }));
      const labels = Object.entries(d.labels);
      emit(ctx.out, d, () =>
        [
          `${d.id}  ${d.name}  ${d.imageCount} images, ${labels.length} labels, ${d.unlabeledCount} unlabeled`,
          ...(labels.length ? [table([['LABEL', 'IMAGES'], ...labels.map(([label, n]) => [label, String(n)])])] : []),
        ].join('\n'),
      );
    }),
  );

const upload = new Command('upload')
  .description('upload an ImageFolder directory (label = subfolder) or a .tar/.tar.gz archive')
  .argument('<dataset>', 'dataset id')
  .argument('<path>', 'a directory, or a .tar / .tar.gz file')
  .action(withContext(async (ctx, datasetId: string, source: string) => uploadToDataset(ctx, datasetId, source)));

export function datasetsCommand(): Command {
  return new Command('datasets').description('create, list and fill datasets').addCommand(create).addCommand(list).addCommand(show).addCommand(upload);
}
