// `simsiam train`: queues a training job. The config is the JSON file (if any) with the flags on top;
// the service fills every default and validates it (a bad field is a 400 that names it).
import fs from 'node:fs/promises';
import { Command } from 'commander';
import type { components } from '../client/index.ts';
import { unwrap } from './api.ts';
import { positiveInt, withContext } from './context.ts';
import { usageError } from './exitCodes.ts';
import { emit, note } from './output.ts';

type TrainingConfig = components['schemas']['TrainingConfig'];

interface TrainOptions {
  dataset: string;
  method?: string;
  backbone?: string;
  epochs?: number;
  config?: string;
}

async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read --config ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw usageError(`--config ${file} is not JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw usageError(`--config ${file} must hold a JSON object`);
  return parsed as Record<string, unknown>;
}

export function trainCommand(): Command {
  return new Command('train')
    .description('queue a training job on a dataset; prints the job id')
    .requiredOption('--dataset <id>', 'the dataset to train on')
    .option('--method <name>', 'training method (the service lists them in its config schema), e.g. simsiam')
    .option('--backbone <name>', 'e.g. resnet-tiny, resnet18')
    .option('--epochs <n>', 'epochs to train', positiveInt('--epochs'))
    .option('--config <file.json>', 'a training config as JSON; the flags above override its fields')
    .action(
      withContext(async (ctx, opts: TrainOptions) => {
        const config = opts.config ? await readConfigFile(opts.config) : {};
        if (opts.method) config.method = opts.method;
        if (opts.backbone) config.backbone = opts.backbone;
        if (opts.epochs) config.epochs = opts.epochs;
        const conn = await ctx.connection();
        const job = await unwrap(conn, conn.client.POST('/v1/jobs', { body: { datasetId: opts.dataset, config: config as TrainingConfig } }));
        emit(ctx.out, job, job.id);
        if (ctx.out.bars) note(ctx.out, `queued; follow it with: simsiam watch ${job.id}`);
      }),
    );
}
