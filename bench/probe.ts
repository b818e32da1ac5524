// The linear probe's own speed: the service's regularised probe (weight decay chosen on a validation
// split, then refit on every train row) on Fashion-MNIST raw pixels at native resolution, the train
// rows a seeded subset of the 60 000, scored on the 10 000 test images. Prints one JSON line per
// products kind. The raw-pixel baseline is the probe's largest input, so this is the tables' bound.
//
//   node --import tsx bench/probe.ts --train-rows 60000 --products native,js
import { parseArgs } from 'node:util';
import { type Matrix, PROBE_RECIPE, regularisedProbe, standardise } from '../src/probe/linearProbe.ts';
import { jsProducts, probeProducts, type ProductsFactory } from '../src/probe/products.ts';
import { subsetIndices } from '../src/probe/split.ts';
import { type FashionSplit, imagePixels, readSplit } from './fashion-mnist/idx.ts';

const { values } = parseArgs({
  options: {
    'train-rows': { type: 'string', default: '60000' },
    products: { type: 'string', default: 'native' },
    epochs: { type: 'string', default: String(PROBE_RECIPE.epochs) },
    seed: { type: 'string', default: '0' },
  },
});

const FACTORIES: Record<string, ProductsFactory> = { native: probeProducts, js: jsProducts };

function pixels(split: FashionSplit, indices: number[]): { x: Matrix; labels: Int32Array } {
  const dim = split.side ** 2;
  const data = new Float32Array(indices.length * dim);
  indices.forEach((image, row) => data.set(imagePixels(split, image), row * dim));
  return { x: { data, rows: indices.length, dim }, labels: Int32Array.from(indices, (i) => split.labels[i]) };
}

const seed = Number(values.seed);
const trainSplit = readSplit('train');
const testSplit = readSplit('t10k');
for (const kind of values.products.split(',')) {
  const makeProducts = FACTORIES[kind];
  if (!makeProducts) throw new Error(`--products: native or js, not ${kind}`);
  const train = pixels(trainSplit, subsetIndices(trainSplit.count, Number(values['train-rows']), seed));
  const test = pixels(testSplit, Array.from({ length: testSplit.count }, (_, i) => i));
  standardise(train.x, test.x);
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const recipe = { ...PROBE_RECIPE, epochs: Number(values.epochs) };
  const result = await regularisedProbe(train.x, train.labels, test.x, test.labels, 10, seed, recipe, makeProducts);
  const cpu = process.cpuUsage(cpuStarted);
  console.log(
    JSON.stringify({
      bench: 'probe',
      features: 'fashion-mnist raw pixels, 784-d',
      trainRows: train.x.rows,
      testRows: test.x.rows,
      epochs: recipe.epochs,
      fits: recipe.weightDecayGrid.length + 1,
      products: result.products,
      seconds: Math.round(performance.now() - started) / 1000,
      cpuSeconds: Math.round((cpu.user + cpu.system) / 1000) / 1000,
      top1: result.top1,
      trainTop1: result.trainTop1,
      weightDecay: result.weightDecay,
      validation: result.validation,
    }),
  );
}
