// The linear probe: a softmax-regression classifier trained on frozen features, as in the SimSiam
// paper's linear evaluation, sized for a CPU. No tensors: the problem is convex and small (N x D x C).
// Its two matrix products run in the native pack's sgemm where it is built (products.ts); the rest is
// float64 JS. Reproducible from its seed on one host.
import { Prng } from '../engine/index.ts';
import { shuffleInPlace, splitIndices } from './split.ts';
import { type ProbeProducts, type ProductsFactory, type ProductsKind, probeProducts } from './products.ts';

/** The exact recipe, reported with every result. */
export const PROBE_RECIPE = {
  features: 'standardised per dimension with the train split mean and std (std < 1e-6 -> 1); test uses the train statistics',
  classifier: 'linear softmax regression (weights [D, C] + bias), zero-initialised',
  loss: 'cross-entropy, mean over the batch, plus weightDecay/2 * ||W||^2 (not the bias)',
  weightDecay: 'chosen from weightDecayGrid by top-1 on a validation split (validationFraction of the train rows, seeded), then the probe is retrained on every train row',
  // up to 1e-1: a few thousand images of thousands of raw pixels needed that much (docs/results.md)
  weightDecayGrid: [0, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1],
  validationFraction: 0.2,
  optimizer: 'SGD, momentum 0.9',
  learningRate: 0.1,
  schedule: 'cosine decay to 0 over all steps',
  batchSize: 256,
  epochs: 100,
  shuffle: 'every epoch, seeded PRNG (evaluation seed)',
} as const;

export interface Matrix {
  /** row-major [rows, dim] */
  data: Float32Array;
  rows: number;
  dim: number;
}

export interface ProbeResult {
  top1: number;
  top5: number;
  trainTop1: number;
  finalLoss: number;
  /** how the matrix products were computed (src/probe/products.ts) */
  products: ProductsKind;
}

/** Per-dimension mean and std of `train`, applied in place to every matrix given. */
export function standardise(train: Matrix, ...others: Matrix[]): void {
  const { dim } = train;
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let r = 0; r < train.rows; r++) {
    for (let j = 0; j < dim; j++) {
      const v = train.data[r * dim + j];
      mean[j] += v;
      sq[j] += v * v;
    }
  }
  const std = new Float64Array(dim);
  for (let j = 0; j < dim; j++) {
    mean[j] /= train.rows;
    const s = Math.sqrt(Math.max(sq[j] / train.rows - mean[j] * mean[j], 0));
    std[j] = s < 1e-6 ? 1 : s;
  }
  for (const m of [train, ...others]) {
    for (let r = 0; r < m.rows; r++) for (let j = 0; j < dim; j++) m.data[r * dim + j] = (m.data[r * dim + j] - mean[j]) / std[j];
  }
}

class SoftmaxRegression {
  /** [classes, dim]: each class's weights contiguous, so the inner loops run over dim */
  readonly w: Float64Array;
  readonly b: Float64Array;
  constructor(
    readonly dim: number,
    readonly classes: number,
    readonly products: ProbeProducts,
  ) {
    this.w = new Float64Array(dim * classes);
    this.b = new Float64Array(classes);
  }

  /** Class probabilities of the first `rows` rows of `x` into `out` [rows, classes]. */
  probabilities(x: Float32Array, rows: number, out: Float64Array): void {
    const { classes, b } = this;
    this.products.logits(x, rows, this.w, out);
    for (let r = 0; r < rows; r++) {
      const row = r * classes;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) if ((out[row + c] += b[c]) > max) max = out[row + c];
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += out[row + c] = Math.exp(out[row + c] - max);
      for (let c = 0; c < classes; c++) out[row + c] /= sum;
    }
  }
}

const EVAL_ROWS = 1024;

/** Fraction of rows whose label is among the `k` most probable classes. */
function topK(model: SoftmaxRegression, x: Matrix, labels: Int32Array, k: number): number {
  if (!x.rows) return 0;
  const { classes } = model;
  const p = new Float64Array(EVAL_ROWS * classes);
  let hits = 0;
  for (let start = 0; start < x.rows; start += EVAL_ROWS) {
    const rows = Math.min(EVAL_ROWS, x.rows - start);
    model.probabilities(x.data.subarray(start * x.dim), rows, p);
    for (let r = 0; r < rows; r++) {
      const label = labels[start + r];
      const own = p[r * classes + label];
      let above = 0;
      for (let c = 0; c < classes; c++) if (p[r * classes + c] > own || (p[r * classes + c] === own && c < label)) above++;
      if (above < k) hits++;
    }
  }
  return hits / x.rows;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
// an epoch of a large set takes seconds; the worker's queue heartbeats must not wait that long
const YIELD_EVERY_MS = 50;

/**
 * Trains on standardised `train` features and scores `test`. Async only to yield to the event loop
 * every few batches, so a worker's queue heartbeats keep flowing during a long probe.
 */
export async function linearProbe(
  train: Matrix,
  trainLabels: Int32Array,
  test: Matrix,
  testLabels: Int32Array,
  numClasses: number,
  seed: number,
  recipe: { epochs: number; batchSize: number; learningRate: number; weightDecay: number } = { ...PROBE_RECIPE, weightDecay: 0 },
  makeProducts: ProductsFactory = probeProducts,
): Promise<ProbeResult> {
  const { dim } = train;
  const products = makeProducts(dim, numClasses, Math.max(recipe.batchSize, EVAL_ROWS));
  const model = new SoftmaxRegression(dim, numClasses, products);
  const velocityW = new Float64Array(model.w.length);
  const velocityB = new Float64Array(numClasses);
  const gradW = new Float64Array(model.w.length);
  const gradB = new Float64Array(numClasses);
  const p = new Float64Array(recipe.batchSize * numClasses);
  const batch = new Float32Array(recipe.batchSize * dim);
  const rng = new Prng(seed);
  const order = Int32Array.from({ length: train.rows }, (_, i) => i);
  const stepsPerEpoch = Math.ceil(train.rows / recipe.batchSize);
  const totalSteps = stepsPerEpoch * recipe.epochs;
  let step = 0;
  let finalLoss = NaN;
  let lastYield = performance.now();
  for (let epoch = 0; epoch < recipe.epochs; epoch++) {
    shuffleInPlace(order, rng);
    let lossSum = 0;
    for (let start = 0; start < order.length; start += recipe.batchSize) {
      const rows = Math.min(recipe.batchSize, order.length - start);
      for (let i = 0; i < rows; i++) batch.set(train.data.subarray(order[start + i] * dim, (order[start + i] + 1) * dim), i * dim);
      model.probabilities(batch, rows, p);
      gradB.fill(0);
      for (let i = 0; i < rows; i++) {
        const label = trainLabels[order[start + i]];
        lossSum -= Math.log(Math.max(p[i * numClasses + label], 1e-12));
        p[i * numClasses + label] -= 1;
        for (let c = 0; c < numClasses; c++) gradB[c] += p[i * numClasses + c];
      }
      products.weightGradient(p, batch, rows, gradW);
      const lr = 0.5 * recipe.learningRate * (1 + Math.cos((Math.PI * step) / totalSteps));
      const scale = 1 / rows;
      for (let i = 0; i < gradW.length; i++) {
        velocityW[i] = 0.9 * velocityW[i] + gradW[i] * scale + recipe.weightDecay * model.w[i];
        model.w[i] -= lr * velocityW[i];
      }
      for (let c = 0; c < numClasses; c++) {
        velocityB[c] = 0.9 * velocityB[c] + gradB[c] * scale;
        model.b[c] -= lr * velocityB[c];
      }
      step++;
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await nextTurn();
        lastYield = performance.now();
      }
    }
    finalLoss = lossSum / Math.max(train.rows, 1);
  }
  return {
    top1: topK(model, test, testLabels, 1),
    top5: topK(model, test, testLabels, Math.min(5, numClasses)),
    trainTop1: topK(model, train, trainLabels, 1),
    finalLoss,
    products: products.kind,
  };
}

/** Rows `rows` of `m`, copied. */
function takeRows(m: Matrix, rows: number[]): Matrix {
  const out = new Float32Array(rows.length * m.dim);
  rows.forEach((r, i) => out.set(m.data.subarray(r * m.dim, (r + 1) * m.dim), i * m.dim));
  return { data: out, rows: rows.length, dim: m.dim };
}

export interface RegularisedProbeResult extends ProbeResult {
  weightDecay: number;
  /** validation top-1 per weight decay of the grid */
  validation: Array<{ weightDecay: number; top1: number }>;
}

/**
 * The probe with its weight decay chosen on a validation split carved from the train rows (never on
 * `test`): an unregularised probe overfits few-thousand-image sets with high-dimensional features,
 * and a weak raw-pixel baseline flatters every method. Expects standardised matrices.
 */
export async function regularisedProbe(
  train: Matrix,
  trainLabels: Int32Array,
  test: Matrix,
  testLabels: Int32Array,
  numClasses: number,
  seed: number,
  recipe: { epochs: number; batchSize: number; learningRate: number; weightDecayGrid: readonly number[]; validationFraction: number } = PROBE_RECIPE,
  makeProducts: ProductsFactory = probeProducts,
): Promise<RegularisedProbeResult> {
  const split = splitIndices(train.rows, 1 - recipe.validationFraction, seed);
  const fitRows = takeRows(train, split.train);
  const valRows = takeRows(train, split.test);
  const labelsOf = (rows: number[]) => Int32Array.from(rows, (r) => trainLabels[r]);
  const validation = [];
  for (const weightDecay of recipe.weightDecayGrid) {
    const r = await linearProbe(fitRows, labelsOf(split.train), valRows, labelsOf(split.test), numClasses, seed, { ...recipe, weightDecay }, makeProducts);
    validation.push({ weightDecay, top1: r.top1 });
  }
  // ties go to the stronger regularisation
  const best = validation.reduce((a, b) => (b.top1 >= a.top1 ? b : a));
  const final = await linearProbe(train, trainLabels, test, testLabels, numClasses, seed, { ...recipe, weightDecay: best.weightDecay }, makeProducts);
  return { ...final, weightDecay: best.weightDecay, validation };
}
