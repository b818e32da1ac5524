// `simsiam export JOB --format F --out PATH`: the trained backbone for other runtimes. safetensors
// (a PyTorch state dict) and onnx are one file each (GET /v1/jobs/:id/export); tfjs is a
// TensorFlow.js layers model, model.json + weights.bin, written into the directory PATH.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { withContext } from './context.ts';
import { download } from './download.ts';
import { usageError } from './exitCodes.ts';
import { emit, formatBytes } from './output.ts';

const FORMATS = ['safetensors', 'onnx', 'tfjs'] as const;
type Format = (typeof FORMATS)[number];
const TFJS_FILES = ['model.json', 'weights.bin'];

interface ExportOptions {
  format: Format;
  out: string;
  checkpoint?: string;
}

export function exportCommand(): Command {
  return new Command('export')
    .description("download a job's trained backbone for PyTorch (safetensors), ONNX runtimes or TensorFlow.js")
    .argument('<job>')
    .addOption(new Option('--format <format>', 'file format').choices(FORMATS).makeOptionMandatory())
    .requiredOption('--out <path>', 'the file to write (for tfjs: a directory)')
    .option('--checkpoint <id>', 'safetensors/onnx: a checkpoint of the job (default: the final one)')
    .action(
      withContext(async (ctx, jobId: string, opts: ExportOptions) => {
        if (opts.format === 'tfjs' && opts.checkpoint) throw usageError('--checkpoint applies to safetensors and onnx; tfjs is the final model');
        const conn = await ctx.connection();
        const job = encodeURIComponent(jobId);
        const files: Array<{ path: string; bytes: number }> = [];
        if (opts.format === 'tfjs') {
          await fs.mkdir(opts.out, { recursive: true });
          for (const name of TFJS_FILES) {
            const file = path.resolve(opts.out, name);
            files.push({ path: file, bytes: await download(ctx.out, conn, `/v1/jobs/${job}/model/${name}`, file) });
          }
        } else {
          const query = new URLSearchParams({ format: opts.format, ...(opts.checkpoint ? { checkpoint: opts.checkpoint } : {}) });
          const file = path.resolve(opts.out);
          files.push({ path: file, bytes: await download(ctx.out, conn, `/v1/jobs/${job}/export?${query}`, file) });
        }
        const total = files.reduce((sum, f) => sum + f.bytes, 0);
        emit(ctx.out, { jobId, format: opts.format, files }, `wrote ${opts.out} (${opts.format}, ${formatBytes(total)})`);
      }),
    );
}
