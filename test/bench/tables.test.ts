// bench/tables: every row is a job the service accepts and changes what it says; records become one
// table with the mean and sample std over seeds, the baselines per backbone and the rows still missing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveTrainingConfig } from '../../src/domain/trainingConfig.ts';
import type { EvaluationView, FinishedJob, MetricPoint } from '../../bench/fashion-mnist/jobs.ts';
import { markdown } from '../../bench/tables/publish.ts';
import { summarise, tableResults, type BaselinesRecord, type Records, type ReferenceRecord } from '../../bench/tables/records.ts';
import { rowConfig, TABLES } from '../../bench/tables/rows.ts';

describe('table rows', () => {
  for (const table of Object.values(TABLES)) {
    it(`${table.title}: every row resolves as a job config and keeps its change`, () => {
      for (const row of table.rows) {
        const config = rowConfig(table, row, 4, 1);
        const resolved = resolveTrainingConfig(config);
        assert.ok('config' in resolved, `${row.name}: ${JSON.stringify('issues' in resolved && resolved.issues)}`);
        for (const [field, value] of Object.entries(row.config)) assert.deepEqual((resolved.config as Record<string, unknown>)[field], value, `${row.name}.${field}`);
        assert.equal(resolved.config.epochs, 4 * (row.epochsFactor ?? 1));
        assert.equal(resolved.config.seed, 1);
      }
    });
  }
});

const data = { trainImages: 600, testImages: 100 };

function finished(row: string, seed: number, zStd: number): FinishedJob {
  const metrics: MetricPoint[] = [1, 2].map((epoch) => ({ epoch, step: epoch * 4, values: { epochEnd: true, epochLoss: -epoch / 10, zStd, knnTop1: 0.5 + epoch / 10 } }));
  metrics.push({ epoch: 2, step: 7, values: { loss: -0.3, zStd } });
  return {
    job: {
      id: `job-${row}-${seed}`,
      status: 'succeeded',
      config: { method: row, backbone: 'resnet-tiny', epochs: 2, batchSize: 128, seed },
      progress: { epoch: 2, epochs: 2, step: 8, zStd } as FinishedJob['job']['progress'],
      error: null,
      backend: 'wasm',
      startedAt: null,
      finishedAt: null,
    },
    metrics,
    wallSeconds: 100,
  };
}

const probe = (top1: number, knnTop1: number): EvaluationView => ({ id: 'ev', status: 'succeeded', top1, trainTop1: top1 + 0.1, knnTop1, baselines: null, details: null, timings: null, error: null });

const run = (row: string, seed: number, top1: number, runData = data) =>
  summarise({ table: 'methods', row, seed, data: runData, command: 'cmd', machine: 'test machine', finished: finished(row, seed, 0.02), few: probe(top1, 0.6), all: probe(top1 + 0.05, 0.7) });

const baselines: BaselinesRecord = {
  backbone: 'resnet-small',
  data,
  seed: 0,
  jobId: 'job-simsiam-0',
  fewLabels: { 'raw-pixels': { top1: 0.8, trainTop1: 0.9 }, 'random-init': { top1: 0.7 } },
  allLabels: { 'raw-pixels': { top1: 0.84, trainTop1: 0.86 } },
};

const reference = (row: string, seed: number, top1: number): ReferenceRecord => ({
  table: 'methods',
  row,
  seed,
  data,
  command: 'ref cmd',
  machine: 'test machine, PyTorch 1.13',
  config: { method: row },
  result: {
    method: row, backbone: 'resnet-small', seed, top1_10k: top1, trainTop1_10k: top1 + 0.1, top1_60k: top1 + 0.04, trainTop1_60k: top1 + 0.05,
    knnTop1: 0.7, collapseStd: 0.02, epochs: 2, wallSeconds: 50, imagesPerSecond: 20, threads: 2, torch: '1.13',
  },
});

describe('table records', () => {
  it('a run record: the probes, the final collapse std, images seen from the steps, epoch-end points only', () => {
    const r = run('simsiam', 0, 0.8);
    assert.deepEqual(
      { ...r.result },
      {
        row: 'simsiam', method: 'simsiam', backbone: 'resnet-tiny', seed: 0,
        top1_10k: 0.8, top1_60k: 0.85, knnTop1: 0.7, collapseStd: 0.02, epochs: 2, imagesSeen: 1024, wallSeconds: 100,
        trainTop1_10k: 0.9, trainTop1_60k: 0.95, knnTop1_10k: 0.6, imagesPerSecond: 10.2, batchSize: 128,
      },
    );
    assert.deepEqual(r.series, [
      { epoch: 1, loss: -0.1, zStd: 0.02, knnTop1: 0.6 },
      { epoch: 2, loss: -0.2, zStd: 0.02, knnTop1: 0.7 },
    ]);
  });

  it('rows get the mean and sample std of their seeds, in table order; missing rows are listed', () => {
    const records: Records = { runs: [run('byol', 0, 0.7), run('simsiam', 1, 0.82), run('simsiam', 0, 0.8)], baselines: [baselines], references: [reference('simsiam', 1, 0.8), reference('simsiam', 0, 0.79)] };
    const results = tableResults(TABLES.methods, records);
    assert.deepEqual(results.runs.map((r) => `${r.row}/${r.seed}`), ['simsiam/0', 'simsiam/1', 'byol/0']);
    const [simsiam, byol] = results.rows;
    assert.deepEqual(simsiam!.top1_10k, { mean: 0.81, std: 0.0141, seeds: 2 });
    assert.deepEqual(byol!.top1_60k, { mean: 0.75, std: null, seeds: 1 });
    assert.deepEqual(results.missing, ['simsiam-lr-1.5', 'simclr', 'moco-v2', 'swav', 'simsiam-vit-micro', 'moco-v3-vit-micro']);
    assert.deepEqual([results.baselines.rawPixels10k, results.baselines.rawPixels60k, results.baselines.randomInit10k], [0.8, 0.84, 0.7]);
    const table = markdown(results);
    assert.match(table, /\| simsiam \| 0, 1 \| 0\.810 ± 0\.014 \(0\.910 ± 0\.014\)/);
    assert.match(table, /\| byol \| 0 \(single seed\) \| 0\.700 \(0\.800\)/);
    assert.match(table, /Not run yet: simsiam-lr-1.5, simclr, moco-v2, swav/);
    assert.deepEqual(results.references, [
      {
        row: 'simsiam', seeds: [0, 1], machines: ['test machine, PyTorch 1.13'], gap_10k: 0.015, gap_60k: 0.025,
        top1_10k: { mean: 0.795, std: 0.0071, seeds: 2 }, top1_60k: { mean: 0.835, std: 0.0071, seeds: 2 }, knnTop1: { mean: 0.7, std: 0, seeds: 2 },
        trainTop1_10k: { mean: 0.895, std: 0.0071, seeds: 2 }, trainTop1_60k: { mean: 0.845, std: 0.0071, seeds: 2 },
      },
    ]);
    assert.match(table, /\| simsiam \| 0, 1 \| 0\.795 ± 0\.007 \(0\.895 ± 0\.007\) \| 0\.835 ± 0\.007 \(0\.845 ± 0\.007\) \| 0\.700 ± 0\.000 \| \+0\.015 \| \+0\.025 \|/);
  });

  it('refuses to put runs made on other data in one table', () => {
    const records: Records = { runs: [run('simsiam', 0, 0.8), run('simsiam', 1, 0.8, { trainImages: 60000, testImages: 10000 })], baselines: [], references: [] };
    assert.throws(() => tableResults(TABLES.methods, records), /different data/);
    const otherReference = { ...reference('simsiam', 0, 0.8), data: { trainImages: 60000, testImages: 10000 } };
    assert.throws(() => tableResults(TABLES.methods, { runs: [run('simsiam', 0, 0.8)], baselines: [], references: [otherReference] }), /different data/);
  });
});
