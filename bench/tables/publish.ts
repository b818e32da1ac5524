// Publishes a table from its records (run.ts): bench/results/<file>.json (every run with the issue's
// fields, per row the mean ± std over its seeds, the baselines, the PyTorch references), <file>.md
// and plots of loss, collapse std and kNN per epoch (seed 0 of each row). Rows not run yet are listed
// as missing; single-seed rows are marked as such.
//
//   node --import tsx bench/tables/publish.ts --table methods|simsiam-experiments [--records DIR] [--to bench/results]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PALETTE, writeChartPng, type Series } from '../fashion-mnist/plots.ts';
import { readRecords, tableResults, type RunRecord, type Spread, type TableResults } from './records.ts';
import { TABLES, type TableName } from './rows.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

const fixed = (x: number | null | undefined, digits = 3) => (typeof x === 'number' ? x.toFixed(digits) : '–');
const meanStd = (s: Spread | null, digits = 3) => (s ? `${fixed(s.mean, digits)}${s.std === null ? '' : ` ± ${fixed(s.std, digits)}`}` : '–');

export function markdown(results: TableResults): string {
  const b = results.baselines;
  const hasClaims = results.rows.some((r) => r.claim);
  const header = ['row', 'seeds', 'linear top-1, 10k labels (train)', 'linear top-1, 60k labels (train)', 'kNN top-1', 'final collapse std', 'wall s', 'images/s', ...(hasClaims ? ['the paper finds'] : [])];
  const lines = [
    `# ${results.title}`,
    '',
    `Trained on ${results.data.trainImages} training images, tested on ${results.data.testImages} test images. ` +
      'Mean ± sample std over the seeds listed; a row with one seed has no ±.',
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...results.rows.map((r) =>
      [
        r.row,
        r.seeds.length === 1 ? `${r.seeds[0]} (single seed)` : r.seeds.join(', '),
        `${meanStd(r.top1_10k)} (${meanStd(r.trainTop1_10k)})`,
        `${meanStd(r.top1_60k)} (${meanStd(r.trainTop1_60k)})`,
        meanStd(r.knnTop1),
        meanStd(r.collapseStd, 4),
        meanStd(r.wallSeconds, 0),
        meanStd(r.imagesPerSecond, 1),
        ...(hasClaims ? [r.claim ?? ''] : []),
      ].join(' | ').replace(/^/, '| ').concat(' |'),
    ),
    '',
    `Baselines (same labels, same test images): raw pixels at native resolution ${fixed(b.rawPixels10k)} (10k labels), ${fixed(b.rawPixels60k)} (60k); random-init backbone ${fixed(b.randomInit10k)} (10k).`,
    ...Object.entries(b.byBackbone).map(([backbone, x]) => `- ${backbone}: raw pixels ${fixed(x.rawPixels10k)} (train ${fixed(x.rawPixelsTrain10k)}) / ${fixed(x.rawPixels60k)} (train ${fixed(x.rawPixelsTrain60k)}); random init ${fixed(x.randomInit10k)}`),
    '',
    ...references(results),
    ...(results.missing.length ? [`Not run yet: ${results.missing.join(', ')}.`, ''] : []),
    'Machines: ' + [...new Set(results.runs.map((r) => r.machine ?? 'not recorded'))].join('; '),
    '',
    'Commands:',
    '',
    '```',
    ...results.commands,
    '```',
    '',
  ];
  return lines.join('\n');
}

const signed = (x: number | null) => (x === null ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(3)}`);

/** The PyTorch reference runs (bench/reference/method_train.py: the row's job, data and probes). */
function references(results: TableResults): string[] {
  if (!results.references.length) return ['PyTorch references: none recorded.', ''];
  const header = ['row', 'seeds', 'PyTorch linear top-1, 10k labels (train)', 'PyTorch linear top-1, 60k labels (train)', 'PyTorch kNN top-1', 'service − PyTorch, 10k', 'service − PyTorch, 60k'];
  return [
    'PyTorch references (the same job config, pixels and probes, bench/reference/method_train.py):',
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...results.references.map((r) =>
      `| ${[r.row, r.seeds.join(', '), `${meanStd(r.top1_10k)} (${meanStd(r.trainTop1_10k)})`, `${meanStd(r.top1_60k)} (${meanStd(r.trainTop1_60k)})`, meanStd(r.knnTop1), signed(r.gap_10k), signed(r.gap_60k)].join(' | ')} |`,
    ),
    '',
    `PyTorch machines: ${[...new Set(results.references.flatMap((r) => r.machines))].join('; ')}`,
    '',
  ];
}

async function plots(records: RunRecord[], to: string, file: string): Promise<string[]> {
  const firstSeeds = records.filter((r, i) => records.findIndex((o) => o.result.row === r.result.row) === i);
  const series = (key: 'loss' | 'zStd' | 'knnTop1') =>
    firstSeeds.map((r, i): Series => ({
      label: r.result.row,
      color: PALETTE[i % PALETTE.length],
      points: r.series.filter((p) => typeof p[key] === 'number').map((p) => [p.epoch, p[key] as number]),
    }));
  const charts = [
    { name: 'loss', title: "Loss at each epoch's end (each method's own loss)", yLabel: 'loss', key: 'loss' as const },
    { name: 'collapse-std', title: 'Collapse monitor: std of l2-normalised z', yLabel: 'std per channel', key: 'zStd' as const },
    { name: 'knn', title: 'kNN top-1 of the monitor at each epoch end', yLabel: 'kNN top-1', key: 'knnTop1' as const },
  ];
  const written: string[] = [];
  for (const chart of charts) {
    const target = path.join(to, `${file}-${chart.name}.png`);
    await writeChartPng(target, { title: chart.title, xLabel: 'epoch', yLabel: chart.yLabel, series: series(chart.key) });
    written.push(target);
  }
  return written;
}

async function main() {
  const { values: v } = parseArgs({ options: { table: { type: 'string' }, records: { type: 'string' }, to: { type: 'string', default: path.join(ROOT, 'bench/results') } }, strict: true });
  if (!v.table || !(v.table in TABLES)) throw new Error(`--table must be one of ${Object.keys(TABLES).join(', ')}`);
  const table = TABLES[v.table as TableName];
  const dir = path.resolve(v.records ?? path.join(ROOT, 'bench/results', `${table.file}-runs`));
  const records = readRecords(dir);
  const results = tableResults(table, records);
  const to = path.resolve(v.to);
  fs.mkdirSync(to, { recursive: true });
  const files = [path.join(to, `${table.file}.json`), path.join(to, `${table.file}.md`)];
  fs.writeFileSync(files[0], `${JSON.stringify(results, null, 1)}\n`);
  fs.writeFileSync(files[1], markdown(results));
  files.push(...(await plots(records.runs, to, table.file)));
  process.stdout.write(`${markdown(results)}wrote ${files.map((f) => path.relative(ROOT, f)).join(', ')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
