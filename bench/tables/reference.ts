// PyTorch references of a table's rows (issue #16: every method within 1 point of its PyTorch
// reference): each row's job config, resolved as the service resolves it, trained by
// bench/reference/method_train.py on the table's images decoded by the service's decoder, and probed as
// the service probes them (a 10 000-label subset and every label, both tested on the test images).
// Each run is recorded beside the service's runs as reference-<row>-s<seed>.json, which publish.ts
// puts next to the row; runs already recorded are skipped.
//
// The service keeps a dataset's images in the order of their bytes' sha256, repeats dropped, and draws
// the label subset and the probe's shuffles over that order: the pixels are written in that order, so
// the reference's probes get the same rows in the same order.
//
//   node --import tsx bench/tables/reference.ts --table methods|simsiam-experiments [--rows simsiam,byol]
//       [--seeds 0] [--epochs 8] [--train-images 60000] [--test-images 10000] [--threads 2] [--records DIR]
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pngOf } from '../fashion-mnist/archive.ts';
import type { FashionSplit } from '../fashion-mnist/idx.ts';
import { writePixels } from '../fashion-mnist/pixels.ts';
import { PYTHON, runReference } from '../fashion-mnist/reference.ts';
import { trainingMachine } from '../fashion-mnist/report.ts';
import { trainingSetup } from '../reference/trainingSetup.ts';
import { positiveCount, TABLE_OPTIONS, tableInputs } from './inputs.ts';
import { referenceFile, type ReferenceRecord, type ReferenceResult } from './records.ts';
import { rowConfig } from './rows.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const METHOD_TRAIN = path.join(ROOT, 'bench/reference/method_train.py');
const ENCODE_CHUNK = 64;

/** `indices` as the service stores their PNGs: sorted by sha256, a repeat after its first dropped. */
async function serviceOrder(split: FashionSplit, indices: number[]): Promise<number[]> {
  const byHash = new Map<string, number>();
  for (let start = 0; start < indices.length; start += ENCODE_CHUNK) {
    const chunk = indices.slice(start, start + ENCODE_CHUNK);
    const pngs = await Promise.all(chunk.map((i) => pngOf(split, i)));
    chunk.forEach((i, c) => {
      const hash = createHash('sha256').update(pngs[c]).digest('hex');
      if (!byHash.has(hash)) byHash.set(hash, i);
    });
  }
  return [...byHash].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, i]) => i);
}

/** The pixels of a table's images at `imageSize`, in the service's order (cached by count and size). */
async function servicePixels(dir: string, name: string, { split, indices }: { split: FashionSplit; indices: number[] }, imageSize: number): Promise<string> {
  const prefix = path.join(dir, `pixels-${imageSize}`, `table-${name}-${indices.length}-service-order`);
  return fs.existsSync(`${prefix}.json`) ? prefix : writePixels(prefix, split, await serviceOrder(split, indices), imageSize, true);
}

const countOf = (prefix: string) => (JSON.parse(fs.readFileSync(`${prefix}.json`, 'utf8')) as { count: number }).count;

async function main() {
  const { values: v } = parseArgs({ options: { ...TABLE_OPTIONS, threads: { type: 'string', default: '2' } }, strict: true });
  const { tableName, table, rows, seeds, epochs, recordsDir, images } = tableInputs(v);
  const { train, test, data, fewLabels } = images;
  const threads = positiveCount('threads', v.threads);
  const cache = path.join(ROOT, 'bench/out/fashion-mnist-cache');
  const logFile = path.join(ROOT, 'bench/out', `${table.file}-reference.log`);
  const command = `node --import tsx bench/tables/reference.ts ${process.argv.slice(2).join(' ')}`.trim();
  fs.mkdirSync(path.dirname(logFile), { recursive: true });

  const todo = rows.flatMap((row) => seeds.map((seed) => ({ row, seed }))).filter(({ row, seed }) => !fs.existsSync(referenceFile(recordsDir, row.name, seed)));
  console.log(`${todo.length} reference run(s) to do; records in ${path.relative(ROOT, recordsDir)}`);
  for (const { row, seed } of todo) {
    const config = rowConfig(table, row, epochs, seed);
    const imageSize = Number(config.imageSize);
    const trainPixels = await servicePixels(cache, 'train', train, imageSize);
    const testPixels = await servicePixels(cache, 'test', test, imageSize);
    const setup = trainingSetup(config, countOf(trainPixels));
    const setupFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reference-setup-')), 'setup.json');
    fs.writeFileSync(setupFile, JSON.stringify(setup));
    // the service pretrains on the training images and probes with them: one set of pixels for both
    const args = ['--setup', setupFile, '--pretrain', trainPixels, '--train', trainPixels, '--test', testPixels, '--train-labels', String(fewLabels), '--threads', String(threads)];
    const name = `${row.name} s${seed}`;
    try {
      const result = await runReference<ReferenceResult>(args, logFile, (line) => console.log(`${name}: ${line}`), METHOD_TRAIN);
      const record: ReferenceRecord = { table: tableName, row: row.name, seed, data, command, machine: `${trainingMachine(threads)}, PyTorch ${result.torch}`, config: setup.config, result };
      fs.mkdirSync(recordsDir, { recursive: true });
      fs.writeFileSync(referenceFile(recordsDir, row.name, seed), `${JSON.stringify(record, null, 1)}\n`);
      console.log(`${name}: PyTorch linear ${result.top1_10k} (10k) ${result.top1_60k} (60k), kNN ${result.knnTop1}, ${result.wallSeconds} s (${PYTHON})`);
    } finally {
      fs.rmSync(path.dirname(setupFile), { recursive: true, force: true });
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
