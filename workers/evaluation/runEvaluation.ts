// One linear-probe evaluation: frozen features of the train and test images under the job's
// checkpoint, kNN top-1 on the engine thread, the softmax probe in plain JS (src/probe/linearProbe.ts),
// then the requested baselines through the very same probe: a randomly initialised backbone (same
// architecture and seed, untrained) and raw pixels.
import type { Services } from '../../src/services.ts';
import type { ImageRef } from '../../src/data/loader.ts';
import { ImageLoader } from '../../src/data/loader.ts';
import { datasetImages, labelIndex } from '../../src/data/manifest.ts';
import type { EvaluationResults, ProbeSpec } from '../../src/domain/evaluations.ts';
import { openFrozenModel, type FrozenModel } from '../../src/hosting/frozenModel.ts';
import { regularisedProbe, type RegularisedProbeResult, PROBE_RECIPE, standardise, type Matrix } from '../../src/probe/linearProbe.ts';
import { probeOverBudget } from '../../src/probe/budget.ts';
import { splitIndices } from '../../src/probe/split.ts';
import { JobFailure } from '../training/jobRecord.ts';
import { collectFeatures, type LabeledFeatures } from '../embedding/featureBatches.ts';
import { taskModelSource, type TaskContext } from '../embedding/context.ts';
import { taskRecord } from '../embedding/taskRecord.ts';

const KNN_RECIPE = { k: 200, metric: 'cosine', temperature: 0.1, bank: 'train features', queries: 'test features' } as const;

async function probeImages({ db }: Services, spec: ProbeSpec): Promise<{ train: ImageRef[]; test: ImageRef[] }> {
  const first = await datasetImages(db, spec.trainDatasetId);
  if (spec.testDatasetId) return { train: first, test: await datasetImages(db, spec.testDatasetId) };
  const split = splitIndices(first.length, spec.splitFraction!, spec.seed);
  return { train: split.train.map((i) => first[i]), test: split.test.map((i) => first[i]) };
}

const elapsed = (since: number) => Math.round(performance.now() - since);

/** Probe scores of one feature space; standardises the matrices in place. */
async function probeScores(train: Matrix, trainLabels: Int32Array, test: Matrix, testLabels: Int32Array, numClasses: number, seed: number) {
  standardise(train, test);
  return regularisedProbe(train, trainLabels, test, testLabels, numClasses, seed);
}

const scoresOf = (r: RegularisedProbeResult) => ({ top1: r.top1, top5: r.top5, trainTop1: r.trainTop1, weightDecay: r.weightDecay });

export async function runEvaluation(ctx: TaskContext, evaluationId: string): Promise<void> {
  const { services, log } = ctx;
  const evaluation = await services.db.evaluation.findUnique({ where: { id: evaluationId } });
  if (!evaluation || evaluation.status === 'succeeded' || evaluation.status === 'failed') return;
  const spec = evaluation.request as unknown as ProbeSpec;
  const record = taskRecord(services.pool, 'evaluations', evaluationId);
  const source = await taskModelSource(services, evaluation.jobId, evaluation.checkpointId);
  const images = await probeImages(services, spec);
  // labels can change after the request was accepted
  if ([...images.train, ...images.test].some((img) => img.label === null)) {
    throw new JobFailure('DATASET_UNLABELED', 'probing needs a label on every image');
  }
  if (!images.train.length || !images.test.length) throw new JobFailure('DATASET_TOO_SMALL', 'the train and test sets both need images');
  // checked again on the images as they are now: datasets can grow after the request was accepted
  const over = probeOverBudget(source.config, images.train.length + images.test.length, spec.baselines, services.config.probeMaxMatrixBytes);
  if (over) throw new JobFailure('PROBE_TOO_LARGE', over.message);
  await record.start();

  const started = performance.now();
  const timings: Record<string, number> = {};
  const classes = labelIndex([...images.train, ...images.test]);
  const classOf = (list: ImageRef[]) => (i: number) => classes.get(list[i].label!)!;
  const wantPixels = spec.baselines.includes('raw-pixels');
  const features = async (model: FrozenModel, keepPixels: boolean) => {
    const loader = (list: ImageRef[]) => new ImageLoader(list, model.spec, { blobs: services.blobs, cache: ctx.cache });
    return {
      train: await collectFeatures(model, loader(images.train), classOf(images.train), { keepPixels }),
      test: await collectFeatures(model, loader(images.test), classOf(images.test), { keepPixels }),
    };
  };
  const knn = (model: FrozenModel, train: LabeledFeatures, test: LabeledFeatures, pick: (f: LabeledFeatures) => Matrix) =>
    model.knnTop1(pick(train), train.labels, pick(test), test.labels, classes.size);

  // pretrained backbone (its engine also scores the raw-pixel kNN)
  let t = performance.now();
  const model = await openFrozenModel(services.blobs, { ...source, backend: ctx.backend });
  let trained: { train: LabeledFeatures; test: LabeledFeatures };
  let knnTop1: number;
  let rawKnn: number | undefined;
  try {
    trained = await features(model, wantPixels);
    timings.featuresMs = elapsed(t);
    t = performance.now();
    knnTop1 = await knn(model, trained.train, trained.test, (f) => f.x);
    if (wantPixels) rawKnn = await knn(model, trained.train, trained.test, (f) => f.pixels!);
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
  if (wantPixels) {
    t = performance.now();
    const raw = await probeScores(train.pixels!, train.labels, test.pixels!, test.labels, classes.size, spec.seed);
    baselines['raw-pixels'] = { ...scoresOf(raw), knnTop1: rawKnn!, featureDim: train.pixels!.dim };
    timings.rawPixelsMs = elapsed(t);
  }
  if (spec.baselines.includes('random-init')) {
    t = performance.now();
    const random = await openFrozenModel(services.blobs, { config: source.config, backend: ctx.backend });
    try {
      const f = await features(random, false);
      const randomKnn = await knn(random, f.train, f.test, (x) => x.x);
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
    recipe: { probe: PROBE_RECIPE, knn: KNN_RECIPE, seed: spec.seed, split: spec.testDatasetId ? null : { fraction: spec.splitFraction, seed: spec.seed } },
    timings,
  };
  await record.succeed('results = $2', [JSON.stringify(results)]);
  log.info({ evaluationId, top1: probe.top1, knnTop1, ms: timings.totalMs }, 'linear probe finished');
}
