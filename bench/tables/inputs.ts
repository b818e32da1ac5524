// What the service runs (run.ts) and the PyTorch references (reference.ts) of a table share from their
// command lines: the seeds, and the images: seeded subsets of Fashion-MNIST's training and test splits
// (every image for the tables; fewer for trial runs), and the few-labels probe's size.
import { type FashionSplit, readSplit } from '../fashion-mnist/idx.ts';
import { seededSample } from '../fashion-mnist/subsets.ts';
import type { DataSizes } from './records.ts';

/** the few-labels probe */
export const FEW_LABELS = 10_000;

export function positiveCount(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return n;
}

export function seedList(value: string): number[] {
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
export function tableImages(trainImages: string | undefined, testImages: string | undefined): TableImages {
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
