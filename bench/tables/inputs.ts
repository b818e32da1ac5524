// What the service runs (run.ts) and the PyTorch references (reference.ts) of a table share from their
// command lines: the seeds, and the images: seeded subsets of Fashion-MNIST's training and test splits
// (every image for the tables; fewer for trial runs), and the few-labels probe's size.
import path from 'node:path';
import { type FashionSplit, readSplit } from '../fashion-mnist/idx.ts';
import { seededSample } from '../fashion-mnist/subsets.ts';
import type { DataSizes } from './records.ts';
import { type Row, selectRows, type TableName, type TableSpec } from './rows.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** parseArgs options both commands take */
export const TABLE_OPTIONS = {
  table: { type: 'string' },
  rows: { type: 'string' },
  seeds: { type: 'string', default: '0' },
  epochs: { type: 'string' },
  'train-images': { type: 'string', default: '60000' },
  'test-images': { type: 'string', default: '10000' },
  records: { type: 'string' },
} as const;

/** the few-labels probe */
export const FEW_LABELS = 10_000;

export function positiveCount(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return n;
}

function seedList(value: string): number[] {
  return value.split(',').map((s) => {
    const seed = Number(s.trim());
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seeds takes non-negative integers, got ${s}`);
    return seed;
  });
}

export interface TableImages {
  train: { split: FashionSplit; indices: number[] };
  test: { split: FashionSplit; indices: number[] };
  data: DataSizes;
  /** labels of the few-labels probe */
  fewLabels: number;
}

/** The `--train-images` and `--test-images` subsets (seed 0) of the two splits. */
function tableImages(trainImages: string | undefined, testImages: string | undefined): TableImages {
  const train = readSplit('train');
  const test = readSplit('t10k');
  const data = { trainImages: Math.min(positiveCount('train-images', trainImages), train.count), testImages: Math.min(positiveCount('test-images', testImages), test.count) };
  return {
    train: { split: train, indices: seededSample(train.count, data.trainImages, 0) },
    test: { split: test, indices: seededSample(test.count, data.testImages, 0) },
    data,
    fewLabels: Math.min(FEW_LABELS, data.trainImages),
  };
}

export interface TableInputs {
  tableName: TableName;
  table: TableSpec;
  rows: Row[];
  seeds: number[];
  epochs: number;
  /** bench/results/<table>-runs unless --records names another */
  recordsDir: string;
  images: TableImages;
}

export function tableInputs(v: { table?: string; rows?: string; seeds: string; epochs?: string; 'train-images': string; 'test-images': string; records?: string }): TableInputs {
  const { name: tableName, table, rows } = selectRows(v.table, v.rows);
  return {
    tableName,
    table,
    rows,
    seeds: seedList(v.seeds),
    epochs: positiveCount('epochs', v.epochs ?? String(table.epochs)),
    recordsDir: path.resolve(v.records ?? path.join(ROOT, 'bench/results', `${table.file}-runs`)),
    images: tableImages(v['train-images'], v['test-images']),
  };
}
