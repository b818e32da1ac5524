// The linear probe on synthetic features: separable classes are learned, standardisation uses train
// statistics only, results are reproducible from the seed, and a split is a seeded partition.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Prng, loadNativeKernels } from '../../src/engine/index.ts';
import { jsProducts, nativeProducts } from '../../src/probe/products.ts';
import { linearProbe, regularisedProbe, standardise, type Matrix } from '../../src/probe/linearProbe.ts';
import { splitIndices } from '../../src/probe/split.ts';

/** `perClass` points around a random centre per class, plus noise dimensions of larger scale. */
function blobs(classes: number, perClass: number, dim: number, seed: number, spread = 0.5) {
  const rng = new Prng(seed);
  const centres = Array.from({ length: classes }, () => Array.from({ length: dim }, () => rng.uniform(-2, 2)));
  const data = new Float32Array(classes * perClass * dim);
  const labels = new Int32Array(classes * perClass);
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      const r = c * perClass + i;
      labels[r] = c;
      for (let j = 0; j < dim; j++) data[r * dim + j] = centres[c][j] * 10 + 100 + rng.uniform(-spread, spread) * 10;
    }
  }
  return { x: { data, rows: classes * perClass, dim } as Matrix, labels };
}

describe('linear probe', () => {
  it('learns separable classes; top-5 >= top-1; same seed, same result', async () => {
    const train = blobs(10, 40, 32, 1);
    const test = blobs(10, 10, 32, 1);
    standardise(train.x, test.x);
    const recipe = { epochs: 30, batchSize: 64, learningRate: 0.1, weightDecay: 0 };
    const a = await linearProbe(train.x, train.labels, test.x, test.labels, 10, 3, recipe);
    assert.ok(a.top1 >= 0.95, `top1 ${a.top1}`);
    assert.ok(a.top5 >= a.top1);
    assert.ok(a.trainTop1 >= 0.95);
    const b = await linearProbe(train.x, train.labels, test.x, test.labels, 10, 3, recipe);
    assert.deepEqual(a, b);
  });

  it('is at chance on labels unrelated to the features', async () => {
    const train = blobs(1, 400, 16, 2);
    const test = blobs(1, 400, 16, 3);
    const rng = new Prng(9);
    const random = (n: number) => Int32Array.from({ length: n }, () => rng.int(0, 3));
    standardise(train.x, test.x);
    const r = await linearProbe(train.x, random(400), test.x, random(400), 4, 1, { epochs: 20, batchSize: 64, learningRate: 0.1, weightDecay: 0 });
    assert.ok(r.top1 < 0.4, `top1 ${r.top1}`);
  });

  it('regularised: weight decay chosen on a validation split of the train rows, never on test', async () => {
    // few rows, many dimensions: the setting where an unregularised probe overfits
    const train = blobs(4, 12, 200, 4);
    const test = blobs(4, 30, 200, 5);
    standardise(train.x, test.x);
    const recipe = { epochs: 15, batchSize: 16, learningRate: 0.1, weightDecayGrid: [0, 1e-2, 1], validationFraction: 0.25 };
    const a = await regularisedProbe(train.x, train.labels, test.x, test.labels, 4, 2, recipe);
    assert.deepEqual(a.validation.map((v) => v.weightDecay), [0, 1e-2, 1]);
    assert.equal(a.weightDecay, a.validation.reduce((x, y) => (y.top1 >= x.top1 ? y : x)).weightDecay);
    // other test labels: the same choice, the same validation scores; only the test score moves
    const b = await regularisedProbe(train.x, train.labels, test.x, test.labels.map((l) => (l + 1) % 4), 4, 2, recipe);
    assert.deepEqual(b.validation, a.validation);
    assert.equal(b.weightDecay, a.weightDecay);
    assert.notEqual(b.top1, a.top1);
    // a decay shrinks the weights: heavy decay must cost training accuracy on this set
    const heavy = await linearProbe(train.x, train.labels, test.x, test.labels, 4, 2, { ...recipe, weightDecay: 1 });
    const none = await linearProbe(train.x, train.labels, test.x, test.labels, 4, 2, { ...recipe, weightDecay: 0 });
    assert.ok(heavy.finalLoss > none.finalLoss, `loss ${heavy.finalLoss} vs ${none.finalLoss}`);
  });

  it('the native products equal the float64 ones to float32 rounding, and the probe learns the same with either', async () => {
    const kernels = loadNativeKernels();
    // CI builds the pack; a host without it runs the JS products only
    if (!kernels) assert.ok(!process.env.CI, 'the native kernel pack is built in CI');
    if (!kernels) return;
    const [dim, classes, rows] = [300, 7, 50];
    const rng = new Prng(4);
    const x = Float32Array.from({ length: rows * dim }, () => rng.uniform(-1, 1));
    const w = Float64Array.from({ length: classes * dim }, () => rng.uniform(-1, 1));
    const g = Float64Array.from({ length: rows * classes }, () => rng.uniform(-1, 1));
    const js = jsProducts(dim, classes);
    const native = nativeProducts(kernels, dim, classes, 64);
    const [a, b] = [new Float64Array(rows * classes), new Float64Array(rows * classes)];
    js.logits(x, rows, w, a);
    native.logits(x, rows, w, b);
    const close = (p: Float64Array, q: Float64Array) => p.every((v, i) => Math.abs(v - q[i]) <= 1e-4 * (1 + Math.abs(v)));
    assert.ok(close(a, b), 'logits');
    const [ga, gb] = [new Float64Array(classes * dim), new Float64Array(classes * dim)];
    js.weightGradient(g, x, rows, ga);
    native.weightGradient(g, x, rows, gb);
    assert.ok(close(ga, gb), 'weight gradient');
    assert.ok(ga.some((v) => v !== 0));

    const train = blobs(10, 40, 32, 6, 2);
    const test = blobs(10, 20, 32, 6, 2);
    standardise(train.x, test.x);
    const recipe = { epochs: 10, batchSize: 64, learningRate: 0.1, weightDecay: 1e-3 };
    const byJs = await linearProbe(train.x, train.labels, test.x, test.labels, 10, 3, recipe, jsProducts);
    const byNative = await linearProbe(train.x, train.labels, test.x, test.labels, 10, 3, recipe);
    assert.equal(byNative.products, 'float32 native sgemm');
    assert.equal(byJs.products, 'float64 JS loops');
    assert.ok(Math.abs(byJs.top1 - byNative.top1) <= 0.01, `${byJs.top1} vs ${byNative.top1}`);
    assert.ok(Math.abs(byJs.finalLoss - byNative.finalLoss) <= 1e-3 * byJs.finalLoss, `${byJs.finalLoss} vs ${byNative.finalLoss}`);
  });

  it('standardises with the train statistics only', () => {
    const train: Matrix = { data: Float32Array.from([1, 5, 3, 5]), rows: 2, dim: 2 };
    const test: Matrix = { data: Float32Array.from([2, 7]), rows: 1, dim: 2 };
    standardise(train, test);
    assert.deepEqual(Array.from(train.data), [-1, 0, 1, 0]);
    // mean 2, std 1 in column 0; column 1 is constant (std -> 1)
    assert.deepEqual(Array.from(test.data), [0, 2]);
  });

  it('splits reproducibly into a partition', () => {
    const a = splitIndices(100, 0.8, 5);
    assert.deepEqual(a, splitIndices(100, 0.8, 5));
    assert.notDeepEqual(a, splitIndices(100, 0.8, 6));
    assert.equal(a.train.length, 80);
    assert.deepEqual([...a.train, ...a.test].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  });
});
