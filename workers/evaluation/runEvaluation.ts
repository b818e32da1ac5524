// One linear-probe evaluation: frozen features of the train and test images under the job's
// checkpoint, kNN top-1 on the engine thread, the softmax probe on this thread (src/probe/linearProbe.ts),
// then the requested baselines through the very same probe: a randomly initialised backbone (same
// architecture and seed, untrained) and raw pixels at the dataset's native resolution. With a label
// budget (`trainLabels`) every probe and kNN bank sees the same seeded subset of the train images.
import type { Services } from '../../src/services.ts';
import type { ImageRef } from '../../src/data/loader.ts';
import { ImageLoader } from '../../src/data/loader.ts';
import { datasetImages, labelIndex } from '../../src/data/manifest.ts';
import type { EvaluationResults, ProbeSpec } from '../../src/domain/evaluations.ts';
import { openFrozenModel, type FrozenModel } from '../../src/hosting/frozenModel.ts';
import { regularisedProbe, type RegularisedProbeResult, PROBE_RECIPE, standardise, type Matrix } from '../../src/probe/linearProbe.ts';
import { probeOverBudget } from '../../src/probe/budget.ts';
import { splitIndices, subsetIndices } from '../../src/probe/split.ts';
import { rawPixelSpec } from '../../src/probe/baselines.ts';
import { datasetShape } from '../../src/domain/dataDefaults.ts';
import { JobFailure } from '../training/jobRecord.ts';
import { collectFeatures, collectPixels, type LabeledFeatures } from '../embedding/featureBatches.ts';
import { taskModelSource, type TaskContext } from '../embedding/context.ts';
import type { TaskRecord } from '../embedding/taskRecord.ts';

const KNN_RECIPE = { k: 200, metric: 'cosine', temperature: 0.1, bank: 'train features', queries: 'test features' } as const;

async function probeImages({ db }: Services, spec: ProbeSpec): Promise<{ train: ImageRef[]; test: ImageRef[] }> {
  const first = await datasetImages(db, spec.trainDatasetId);
  const labelBudget = (train: ImageRef[]) => (spec.trainLabels ? subsetIndices(train.length, spec.trainLabels, spec.seed).map((i) => train[i]) : train);
  if (spec.testDatasetId) return { train: labelBudget(first), test: await datasetImages(db, spec.testDatasetId) };
  const split = splitIndices(first.length, spec.splitFraction!, spec.seed);
  return { train: labelBudget(split.train.map((i) => first[i])), test: split.test.map((i) => first[i]) };
}

const elapsed = (since: number) => Math.round(performance.now() - since);

/** Probe scores of one feature space; standardises the matrices in place. */
async function probeScores(train: Matrix, trainLabels: Int32Array, test: Matrix, testLabels: Int32Array, numClasses: number, seed: number) {
  standardise(train, test);
  return regularisedProbe(train, trainLabels, test, testLabels, numClasses, seed);
}

const scoresOf = (r: RegularisedProbeResult) => ({ top1: r.top1, top5: r.top5, trainTop1: r.trainTop1, weightDecay: r.weightDecay });

export async function runEvaluation(ctx: TaskContext, evaluationId: string, record: TaskRecord): Promise<void> {
  const { services, log } = ctx;
  const evaluation = await services.db.evaluation.findUnique({ where: { id: evaluationId } });
  if (!evaluation || evaluation.status === 'succeeded' || evaluation.status === 'failed') return;
  const spec = evaluation.request as unknown as ProbeSpec;
  const source = await taskModelSource(services, evaluation.jobId, evaluation.checkpointId);
  const images = await probeImages(services, spec);
  // labels can change after the request was accepted
  if ([...images.train, ...images.test].some((img) => img.label === null)) {
    throw new JobFailure('DATASET_UNLABELED', 'probing needs a label on every image');
  }
  if (!images.train.length || !images.test.length) throw new JobFailure('DATASET_TOO_SMALL', 'the train and test sets both need images');
  // checked again on the images as they are now: datasets can grow after the request was accepted
  const shape = await datasetShape(services.pool, evaluation.tenantId, spec.trainDatasetId);
  if (!shape) throw new JobFailure('DATASET_EMPTY', `dataset ${spec.trainDatasetId} has no images`);
  const pixelSpec = rawPixelSpec(shape);
  const over = probeOverBudget(source.config, images.train.length + images.test.length, spec.baselines, pixelSpec, services.config.probeMaxMatrixBytes);
  if (over) throw new JobFailure('PROBE_TOO_LARGE', over.message);
  await record.start();

  const started = performance.now();
  const timings: Record<string, number> = {};
  const classes = labelIndex([...images.train, ...images.test]);
  const classOf = (list: ImageRef[]) => (i: number) => classes.get(list[i].label!)!;
  const wantPixels = spec.baselines.includes('raw-pixels');
  const loader = (list: ImageRef[], spec: FrozenModel['spec']) => new ImageLoader(list, spec, { blobs: services.blobs, cache: ctx.cache });
  const features = async (model: FrozenModel) => ({
    train: await collectFeatures(model, loader(images.train, model.spec), classOf(images.train)),
    test: await collectFeatures(model, loader(images.test, model.spec), classOf(images.test)),
  });
  const knn = (model: FrozenModel, train: LabeledFeatures, test: LabeledFeatures) => model.knnTop1(train.x, train.labels, test.x, test.labels, classes.size);

  // pretrained backbone (its engine also scores the raw-pixel kNN)
  let t = performance.now();
  const model = await openFrozenModel(services.blobs, { ...source, backend: ctx.backend });
  let trained: { train: LabeledFeatures; test: LabeledFeatures };
  let pixels: { train: LabeledFeatures; test: LabeledFeatures } | undefined;
  let knnTop1: number;
  let rawKnn: number | undefined;
  try {
    trained = await features(model);
    if (wantPixels) {
      pixels = {
        train: await collectPixels(loader(images.train, pixelSpec), classOf(images.train)),
        test: await collectPixels(loader(images.test, pixelSpec), classOf(images.test)),
      };
    }
    timings.featuresMs = elapsed(t);
    t = performance.now();
    knnTop1 = await knn(model, trained.train, trained.test);
    if (pixels) rawKnn = await knn(model, pixels.train, pixels.test);
    timings.knnMs = elapsed(t);
  } finally {
    await model.close();
  }
  const { train, test } = trained;
  if (!train.labels.length || !test.labels.length) throw new JobFailure('NO_DECODABLE_IMAGES', 'no decodable images in the train or test set');

  t = performance.now();
  const probe = await probeScores(train.x, train.labels, test.x, test.labels, classes.size, spec.seed);
  timings.probeMs = elapsed(t);

  const baselines: EvaluationResults['baselines'] = {};
  if (pixels) {
    t = performance.now();
    const raw = await probeScores(pixels.train.x, pixels.train.labels, pixels.test.x, pixels.test.labels, classes.size, spec.seed);
    baselines['raw-pixels'] = { ...scoresOf(raw), knnTop1: rawKnn!, featureDim: pixels.train.x.dim };
    timings.rawPixelsMs = elapsed(t);
  }
  if (spec.baselines.includes('random-init')) {
    t = performance.now();
    const random = await openFrozenModel(services.blobs, { config: source.config, backend: ctx.backend });
    try {
      const f = await features(random);
      const randomKnn = await knn(random, f.train, f.test);
      const scores = await probeScores(f.train.x, f.train.labels, f.test.x, f.test.labels, classes.size, spec.seed);
      baselines['random-init'] = { ...scoresOf(scores), knnTop1: randomKnn, featureDim: random.featureDim };
    } finally {
      await random.close();
    }
    timings.randomInitMs = elapsed(t);
  }
  timings.totalMs = elapsed(started);

  const results: EvaluationResults = {
    ...scoresOf(probe),
    knnTop1,
    numClasses: classes.size,
    trainCount: train.labels.length,
    testCount: test.labels.length,
    featureDim: train.x.dim,
    baselines,
    recipe: { probe: { ...PROBE_RECIPE, products: probe.products }, knn: KNN_RECIPE, seed: spec.seed, trainLabels: spec.trainLabels ?? null, rawPixels: pixels ? pixelSpec : null, split: spec.testDatasetId ? null : { fraction: spec.splitFraction, seed: spec.seed } },
    timings,
  };
  await record.succeed('results = $2', [JSON.stringify(results)]);
  log.info({ evaluationId, top1: probe.top1, knnTop1, ms: timings.totalMs }, 'linear probe finished');
}
