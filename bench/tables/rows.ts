// The seed's two tables (issue #16) as rows of job configs over one shared base: Table 1 compares
// the methods, each with its own recipe defaults; Table 2 repeats the SimSiam paper's experiments,
// each row changing one thing of the default SimSiam job. Every row of a table gets the same budget
// in images seen (epochs x training images), but for the row that doubles it on purpose.
import type { BackboneName } from '../../src/domain/trainingConfig.ts';

export interface Row {
  name: string;
  /** job config fields over the table's base */
  config: Record<string, unknown>;
  /** epochs as a multiple of the table's (Table 2's "asymmetric, 2x epochs") */
  epochsFactor?: number;
  /** the SimSiam paper's finding for this change, which the table checks */
  claim?: string;
}

export interface TableSpec {
  title: string;
  /** bench/results/<file>.json and .md; records in bench/results/<file>-runs/ */
  file: string;
  backbone: BackboneName;
  /** epochs when the command gives none */
  epochs: number;
  rows: Row[];
}

const method = (name: string, extra: Record<string, unknown> = {}): Row => ({ name, config: { method: name, ...extra } });

const METHODS_TABLE: TableSpec = {
  title: 'Table 1: the methods on Fashion-MNIST',
  file: 'methods-fashion-mnist',
  backbone: 'resnet-small',
  epochs: 8,
  rows: [
    method('simsiam'),
    // SimSiam with the base lr its validation sweep picked (docs/results.md, "SimSiam's learning rate")
    { name: 'simsiam-lr-1.5', config: { method: 'simsiam', baseLr: 1.5 } },
    method('simclr'),
    method('moco-v2'),
    method('byol'),
    method('swav'),
    { name: 'simsiam-vit-micro', config: { method: 'simsiam', backbone: 'vit-micro' } },
    { name: 'moco-v3-vit-micro', config: { method: 'moco-v3', backbone: 'vit-micro' } },
  ],
};

// Chen & He, CVPR 2021: sec. 4.1 (stop-gradient), 4.2 and table 1 (predictor), table 2 (batch
// size), table 3 (BN), table 4 (loss, symmetry), sec. 5 (moving-average predictor, k-step alternation)
const simsiam = (name: string, config: Record<string, unknown>, claim: string, epochsFactor?: number): Row => ({
  name,
  config: { method: 'simsiam', ...config },
  claim,
  ...(epochsFactor && { epochsFactor }),
});

const SIMSIAM_TABLE: TableSpec = {
  title: "Table 2: the SimSiam paper's experiments on Fashion-MNIST",
  file: 'simsiam-experiments-fashion-mnist',
  backbone: 'resnet-tiny',
  epochs: 8,
  rows: [
    simsiam('simsiam', {}, 'the reference row: stop-gradient, MLP predictor, default BN, cosine, symmetric'),
    simsiam('no-stop-grad', { stopGradient: false }, 'collapses: output std → 0, accuracy near chance'),
    simsiam('predictor-none', { predictor: 'none' }, 'collapses without a predictor'),
    simsiam('predictor-fixed-random', { predictor: 'fixed-random' }, 'does not work: the loss does not converge'),
    simsiam('predictor-moving-average', { predictor: 'moving-average' }, 'works, below the learned predictor'),
    simsiam('bn-none', { bn: 'none' }, 'does not collapse, but far below the default'),
    simsiam('bn-hidden-only', { bn: 'hidden-only' }, 'close to the default'),
    simsiam('bn-all', { bn: 'all' }, 'unstable: BN on the predictor output hurts'),
    simsiam('loss-cross-entropy', { loss: 'cross-entropy' }, 'works, a few points below cosine'),
    simsiam('asymmetric', { symmetric: false }, 'works, a few points below symmetric'),
    simsiam('asymmetric-2x', { symmetric: false }, 'close to symmetric with twice the epochs', 2),
    simsiam('batch-64', { batchSize: 64 }, 'works at every batch size, a little lower at the smallest'),
    simsiam('batch-256', { batchSize: 256 }, 'works at every batch size'),
    simsiam('batch-512', { batchSize: 512 }, 'works at every batch size'),
    simsiam('batch-1024', { batchSize: 1024 }, 'works at every batch size'),
    simsiam('alternation-10', { alternation: { every: 10 } }, 'k-step alternation works: comparable to k = 1'),
    simsiam('alternation-100', { alternation: { every: 100 } }, 'k-step alternation works: comparable to k = 1'),
    simsiam('alternation-epoch', { alternation: { every: 'epoch' } }, 'k-step alternation works, lower at one epoch'),
  ],
};

export const TABLES = { methods: METHODS_TABLE, 'simsiam-experiments': SIMSIAM_TABLE } as const;
export type TableName = keyof typeof TABLES;

/** The job config of a row: the table's backbone, Fashion-MNIST's shape, the budget, the seed, the row. */
export function rowConfig(table: TableSpec, row: Row, epochs: number, seed: number): Record<string, unknown> {
  return {
    backbone: table.backbone,
    imageSize: 28,
    channels: 1,
    knnEveryEpochs: 1,
    seed,
    ...row.config,
    epochs: epochs * (row.epochsFactor ?? 1),
  };
}

/** A table by name and its rows named in `rows` (comma-separated; all when absent). */
export function selectRows(tableName: string | undefined, rows: string | undefined): { name: TableName; table: TableSpec; rows: Row[] } {
  if (!tableName || !(tableName in TABLES)) throw new Error(`--table must be one of ${Object.keys(TABLES).join(', ')}`);
  const table = TABLES[tableName as TableName];
  const names = rows ? rows.split(',').map((s) => s.trim()) : table.rows.map((r) => r.name);
  return {
    name: tableName as TableName,
    table,
    rows: names.map((name) => {
      const row = table.rows.find((r) => r.name === name);
      if (!row) throw new Error(`${tableName} has no row ${name}; its rows: ${table.rows.map((r) => r.name).join(', ')}`);
      return row;
    }),
  };
}
