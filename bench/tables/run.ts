// Issue #16's tables, through the service's public HTTP API only. Rows x seeds of a table
// (rows.ts) train one after another on Fashion-MNIST's training images, each with the same budget;
// each finished job gets two linear probes tested on the 10 000 test images, one trained on 10 000
// labels (a seeded subset) and one on all 60 000. The probes choose their weight decay on a
// validation split of their own training rows; nothing is tuned on the test images. The baselines
// (raw pixels at 28x28 with 10k and 60k labels, the random-init backbone with 10k) are probed once
// per backbone, with the first job.
//
// Every finished run is saved at once as its own small record in bench/results/<table>-runs/, and
// runs already recorded are skipped: a table may be filled over several invocations and days.
// publish.ts turns the records into the table.
//
//   node --import tsx bench/tables/run.ts --table methods|simsiam-experiments [--rows simsiam,byol]
//       [--seeds 0,1,2] [--epochs 8] [--train-images 60000] [--test-images 10000] [--records DIR]
//       [--url http://host:8080 --api-key ssk_...]   (default: start `npm start` on a temp DATA_DIR)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureArchive } from '../fashion-mnist/archive.ts';
import { followJob, linearProbe, startJob, type EvaluationView } from '../fashion-mnist/jobs.ts';
import { ProgressBoard } from '../fashion-mnist/progress.ts';
import { trainingMachine } from '../fashion-mnist/report.ts';
import { connectService } from '../fashion-mnist/service.ts';
import { uploadDataset } from '../fashion-mnist/upload.ts';
import { baselinesFile, recordFile, summarise, type BaselinesRecord, type RunRecord } from './records.ts';
import { rowConfig } from './rows.ts';
import { TABLE_OPTIONS, tableInputs } from './inputs.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

const { values: v } = parseArgs({
  options: {
    ...TABLE_OPTIONS,
    url: { type: 'string', default: process.env.SIMSIAM_URL },
    'api-key': { type: 'string', default: process.env.SIMSIAM_API_KEY },
  },
  strict: true,
});

async function main() {
  // image subsets only for trial runs: the tables use every image
  const { tableName, table, rows, seeds, epochs, recordsDir, images } = tableInputs(v);
  const { train, test, data, fewLabels } = images;
  const cache = path.join(ROOT, 'bench/out/fashion-mnist-cache');
  const archives = {
    train: await ensureArchive(path.join(cache, `table-train-${data.trainImages}.tar.gz`), [train]),
    test: await ensureArchive(path.join(cache, `table-test-${data.testImages}.tar.gz`), [test]),
  };
  const argv = process.argv.slice(2).map((a, i, all) => (all[i - 1] === '--api-key' ? '$SIMSIAM_API_KEY' : a));
  const command = `node --import tsx bench/tables/run.ts ${argv.join(' ')}`.trim();

  const todo = rows.flatMap((row) => seeds.map((seed) => ({ row, seed }))).filter(({ row, seed }) => !fs.existsSync(recordFile(recordsDir, row.name, seed)));
  const board = new ProgressBoard();
  board.note(`${todo.length} run(s) to do; records in ${path.relative(ROOT, recordsDir)}`);
  if (!todo.length) return;

  const service = await connectService({ url: v.url, apiKey: v['api-key'], logFile: path.join(ROOT, `bench/out/${table.file}-service.log`) });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void service.stop().finally(() => process.exit(130)));
  // a service we started inherits our OMP_NUM_THREADS (unset: one thread per core)
  const machine = v.url ? null : trainingMachine(Number(process.env.OMP_NUM_THREADS) || os.cpus().length);
  try {
    const trainSet = await uploadDataset(service, 'fashion-mnist-train', archives.train);
    const testSet = await uploadDataset(service, 'fashion-mnist-test', archives.test);
    board.note(`uploaded ${trainSet.added} training and ${testSet.added} test images`);
    fs.mkdirSync(recordsDir, { recursive: true });
    for (const { row, seed } of todo) {
      const name = `${row.name} s${seed}`;
      const config = rowConfig(table, row, epochs, seed);
      const backbone = String(config.backbone);
      const baselinesPath = baselinesFile(recordsDir, backbone);
      const withBaselines = !fs.existsSync(baselinesPath);
      const job = await startJob(service, trainSet.id, config);
      const finished = await followJob(service, job.id, name, board);
      const probe = (trainLabels: number | undefined, baselines: string[]): Promise<EvaluationView> =>
        linearProbe(service, job.id, { trainDatasetId: trainSet.id, testDatasetId: testSet.id, baselines: withBaselines ? baselines : [], ...(trainLabels && { trainLabels }) });
      const few = await probe(fewLabels, ['raw-pixels', 'random-init']);
      const all = await probe(undefined, ['raw-pixels']);
      if (withBaselines) {
        const baselines: BaselinesRecord = { backbone, data, seed, jobId: job.id, fewLabels: few.baselines ?? {}, allLabels: all.baselines ?? {} };
        fs.writeFileSync(baselinesPath, `${JSON.stringify(baselines, null, 1)}\n`);
      }
      const record: RunRecord = summarise({ table: tableName, row: row.name, seed, data, command, machine, finished, few, all });
      fs.writeFileSync(recordFile(recordsDir, row.name, seed), `${JSON.stringify(record, null, 1)}\n`);
      board.note(`${name}: linear ${record.result.top1_10k} (10k) ${record.result.top1_60k} (60k), kNN ${record.result.knnTop1}, ${record.result.wallSeconds} s`);
    }
  } finally {
    await service.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
