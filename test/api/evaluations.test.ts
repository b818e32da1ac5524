// Linear-probe evaluations end to end (real PostgreSQL + s3rver + in-process worker): a separable
// synthetic set probes to high accuracy with both baselines reported; unlabeled data, malformed
// requests and foreign ids are refused; GraphQL shows the same evaluation and embedding sets.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { seedLabeledDataset } from '../helpers/images.ts';
import { startWorker } from '../../workers/worker.ts';
import { trainedEnv, type TrainedEnv } from '../helpers/trainedJob.ts';
import { loadNativeKernels } from '../../src/engine/index.ts';

describe('evaluations API', () => {
  let t: TrainedEnv;
  let evaluationId: string;

  before(async () => {
    t = await trainedEnv();
  });
  after(async () => {
    await t?.close();
  });

  it('probes a split labeled dataset to high accuracy and reports baselines, recipe and timings', async (ctx) => {
    const res = await t.api().post(`/v1/jobs/${t.jobId}/linear-probe`).set(t.env.auth)
      .send({ datasetId: t.datasetId, splitFraction: 0.75, seed: 7, baselines: ['random-init', 'raw-pixels'] }).expect(202);
    evaluationId = res.body.id;
    assert.equal(res.headers.location, `/v1/evaluations/${evaluationId}`);
    assert.equal(res.body.status, 'queued');
    const done = await t.settle(`/v1/evaluations/${evaluationId}`) as Record<string, any>;
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    ctx.diagnostic(JSON.stringify({ top1: done.top1, top5: done.top5, knnTop1: done.knnTop1, baselines: done.baselines, timings: done.timings }));
    assert.equal(done.testDatasetId, null);
    assert.equal(done.splitFraction, 0.75);
    assert.equal(done.details.trainCount, 48);
    assert.equal(done.details.testCount, 16);
    assert.equal(done.details.numClasses, 4);
    assert.ok(done.top1 >= 0.9, `top1 ${done.top1}`);
    assert.equal(done.top5, 1, 'four classes: top-5 holds every class');
    assert.ok(done.knnTop1 >= 0 && done.knnTop1 <= 1);
    for (const name of ['random-init', 'raw-pixels']) {
      const b = done.baselines[name];
      assert.ok(b && b.top1 >= 0 && b.top1 <= 1 && b.knnTop1 >= 0 && b.knnTop1 <= 1, `${name}: ${JSON.stringify(b)}`);
    }
    assert.equal(done.baselines['raw-pixels'].featureDim, 20 * 20, 'raw pixels at the native 20x20x1, not the 18 px decode size');
    assert.ok(done.trainTop1 >= 0 && done.trainTop1 <= 1, 'train accuracy beside test accuracy');
    assert.equal(done.recipe.probe.epochs, 100);
    assert.equal(done.recipe.probe.products, loadNativeKernels() ? 'float32 native sgemm' : 'float64 JS loops');
    assert.equal(done.recipe.knn.k, 200);
    assert.ok(done.timings.totalMs > 0 && done.timings.probeMs >= 0);
  });

  it('probes with a separate test dataset', async () => {
    const testSet = await seedLabeledDataset(t.env.services, t.tenantId, 4, 4);
    const res = await t.api().post(`/v1/jobs/${t.jobId}/linear-probe`).set(t.env.auth).send({ trainDatasetId: t.datasetId, testDatasetId: testSet }).expect(202);
    const done = await t.settle(`/v1/evaluations/${res.body.id}`) as Record<string, any>;
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.details.testCount, 16);
    assert.deepEqual(done.baselines, {});
  });

  it('probes on a label budget: a seeded subset of the train images, scored on the whole test set', async () => {
    const testSet = await seedLabeledDataset(t.env.services, t.tenantId, 4, 4);
    const res = await t.api().post(`/v1/jobs/${t.jobId}/linear-probe`).set(t.env.auth)
      .send({ trainDatasetId: t.datasetId, testDatasetId: testSet, trainLabels: 20, baselines: ['raw-pixels'] }).expect(202);
    assert.equal(res.body.trainLabels, 20);
    const done = await t.settle(`/v1/evaluations/${res.body.id}`) as Record<string, any>;
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.details.trainCount, 20);
    assert.equal(done.details.testCount, 16);
    assert.equal(done.recipe.trainLabels, 20);
    assert.deepEqual(done.recipe.rawPixels, { size: 20, channels: 1 });
    assert.equal(done.baselines['raw-pixels'].featureDim, 400);
    await t.api().post(`/v1/jobs/${t.jobId}/linear-probe`).set(t.env.auth).send({ datasetId: t.datasetId, trainLabels: 1 }).expect(400);
  });

  it('refuses unlabeled images, ambiguous requests and foreign ids', async () => {
    const unlabeled = await seedLabeledDataset(t.env.services, t.tenantId, 2, 2);
    await t.env.services.db.image.updateMany({ where: { datasetId: unlabeled }, data: { label: null } });
    const refused = await t.api().post(`/v1/jobs/${t.jobId}/linear-probe`).set(t.env.auth).send({ datasetId: unlabeled }).expect(422);
    assert.equal(refused.body.error.code, 'DATASET_UNLABELED');
    const mixed = await t.api().post(`/v1/jobs/${t.jobId}/linear-probe`).set(t.env.auth).send({ trainDatasetId: t.datasetId, testDatasetId: unlabeled }).expect(422);
    assert.equal(mixed.body.error.code, 'DATASET_UNLABELED');
    const both = await t.api().post(`/v1/jobs/${t.jobId}/linear-probe`).set(t.env.auth).send({ datasetId: t.datasetId, trainDatasetId: t.datasetId }).expect(400);
    assert.equal(both.body.error.code, 'INVALID_PROBE_REQUEST');
    await t.api().post(`/v1/jobs/${t.jobId}/linear-probe`).set(t.env.auth).send({ datasetId: t.datasetId, baselines: ['nope'] }).expect(400);

    assert.equal((await t.api().get(`/v1/evaluations/${evaluationId}`).set(t.env.otherAuth).expect(404)).body.error.code, 'EVALUATION_NOT_FOUND');
    assert.equal((await t.api().post(`/v1/jobs/${t.jobId}/linear-probe`).set(t.env.otherAuth).send({ datasetId: t.datasetId }).expect(404)).body.error.code, 'JOB_NOT_FOUND');
  });

  it('a job without a checkpoint is not ready', async () => {
    const job = (await t.api().post('/v1/jobs').set(t.env.auth).send({ datasetId: t.datasetId, config: { backbone: 'resnet-tiny', imageSize: 16, channels: 1, batchSize: 16, epochs: 1 } }).expect(202)).body;
    await t.api().post(`/v1/jobs/${job.id}/cancel`).set(t.env.auth);
    const res = await t.api().post(`/v1/jobs/${job.id}/linear-probe`).set(t.env.auth).send({ datasetId: t.datasetId }).expect(409);
    assert.equal(res.body.error.code, 'JOB_NOT_READY');
  });

  it('GraphQL: job { evaluations embeddingSets }, evaluation(id), embeddingSet(id), tenant rules', async () => {
    const set = (await t.api().post(`/v1/jobs/${t.jobId}/embeddings`).set(t.env.auth).send({ datasetId: t.datasetId }).expect(202)).body;
    const query = `query($job: ID!, $evaluation: ID!, $set: ID!) {
      job(id: $job) { id evaluations { id status top1 } embeddingSets { id datasetId } }
      evaluation(id: $evaluation) { id status top1 top5 knnTop1 recipe timings baselines { randomInit { top1 knnTop1 } rawPixels { top1 featureDim } } }
      embeddingSet(id: $set) { id status jobId }
    }`;
    const variables = { job: t.jobId, evaluation: evaluationId, set: set.id };
    const res = await t.api().post('/graphql').set(t.env.auth).send({ query, variables }).expect(200);
    assert.equal(res.body.errors, undefined, JSON.stringify(res.body.errors));
    const { job, evaluation, embeddingSet } = res.body.data;
    assert.ok(job.evaluations.some((e: { id: string }) => e.id === evaluationId));
    assert.deepEqual(job.embeddingSets.map((s: { id: string }) => s.id), [set.id]);
    assert.equal(evaluation.status, 'succeeded');
    assert.ok(evaluation.top1 >= 0.9);
    assert.equal(evaluation.baselines.rawPixels.featureDim, 20 * 20);
    assert.equal(typeof evaluation.baselines.randomInit.top1, 'number');
    assert.equal(embeddingSet.jobId, t.jobId);

    const foreign = await t.api().post('/graphql').set(t.env.otherAuth).send({ query: 'query($id: ID!) { evaluation(id: $id) { id } }', variables: { id: evaluationId } }).expect(200);
    assert.equal(foreign.body.errors[0].extensions.code, 'EVALUATION_NOT_FOUND');
  });

  // last: it replaces the shared worker with one started under a smaller limit
  it('refuses a probe whose matrices exceed PROBE_MAX_MATRIX_BYTES, and a worker fails one that grew past its own limit', async () => {
    const config = t.env.services.config;
    const limit = config.probeMaxMatrixBytes;
    // 64 images, resnet-tiny (64-d features), raw pixels at the native 20x20x1: 16 KiB of features, 116 KiB with raw pixels
    config.probeMaxMatrixBytes = 50_000;
    try {
      const refused = await t.api().post(`/v1/jobs/${t.jobId}/linear-probe`).set(t.env.auth).send({ datasetId: t.datasetId, baselines: ['raw-pixels'] }).expect(422);
      assert.equal(refused.body.error.code, 'PROBE_TOO_LARGE');
      assert.deepEqual(refused.body.error.details, { bytes: 64 * (64 + 20 * 20) * 4, limitBytes: 50_000 });
      assert.match(refused.body.error.message, /PROBE_MAX_MATRIX_BYTES/);

      // accepted under this limit; the worker that runs it has a smaller one (workers and API replicas are configured apart)
      await t.worker.stop();
      const accepted = await t.api().post(`/v1/jobs/${t.jobId}/linear-probe`).set(t.env.auth).send({ datasetId: t.datasetId, baselines: ['random-init'] }).expect(202);
      config.probeMaxMatrixBytes = 20_000;
      const worker = await startWorker(t.env.services, pino({ level: 'silent' }), { backend: 'wasm' });
      try {
        const failed = (await t.settle(`/v1/evaluations/${accepted.body.id}`)) as Record<string, any>;
        assert.equal(failed.status, 'failed');
        assert.equal(failed.error.code, 'PROBE_TOO_LARGE');
      } finally {
        await worker.stop();
      }
    } finally {
      config.probeMaxMatrixBytes = limit;
    }
  });
});
