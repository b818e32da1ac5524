// `budget: {minutes}` in place of `epochs`, through the API with a real (in-process, wasm) worker:
// the worker measures its throughput, plans the epochs, echoes the plan and finishes in the budget.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { trainedEnv, type TrainedEnv, TINY } from '../helpers/trainedJob.ts';

describe('job budgets', () => {
  let t: TrainedEnv;
  before(async () => {
    t = await trainedEnv();
  });
  after(async () => t?.close());

  it('a job with budget {minutes: 0.3} plans its epochs from measured throughput and ends within the budget', async (ctx) => {
    const { epochs: _, ...tiny } = TINY;
    const posted = (await t.api().post('/v1/jobs').set(t.env.auth).send({ datasetId: t.datasetId, config: { ...tiny, budget: { minutes: 0.3 } } }).expect(202)).body;
    assert.deepEqual(posted.config.budget, { minutes: 0.3 });
    assert.equal(posted.config.budgetPlan, undefined, 'planned by the worker, not at POST');
    const done = (await t.settle(`/v1/jobs/${posted.id}`)) as Record<string, any>;
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const plan = done.config.budgetPlan;
    ctx.diagnostic(JSON.stringify({ plan, progress: { step: done.progress.step, trainingSeconds: done.progress.trainingSeconds, stoppedAtBudget: done.progress.stoppedAtBudget } }));
    assert.ok(plan.epochs >= 1 && Number.isInteger(plan.epochs), JSON.stringify(plan));
    assert.equal(plan.minutes, 0.3);
    assert.ok(plan.measuredImagesPerSecond > 0 && plan.measuredSteps >= 1);
    assert.equal(done.config.epochs, plan.epochs, 'the job echoes the planned epochs');
    assert.equal(done.progress.epochs, plan.epochs);
    if (!done.progress.stoppedAtBudget) assert.equal(done.progress.step, plan.epochs * done.progress.stepsPerEpoch);
    // the training loop stays inside the 18 s (it stops before a step that would cross them); engine
    // start-up, the final checkpoint and the export come around it: slack for a crowded machine
    assert.ok(done.progress.trainingSeconds <= 18.5, `trained ${done.progress.trainingSeconds} s`);
    const wall = (Date.parse(done.finishedAt) - Date.parse(done.startedAt)) / 1000;
    assert.ok(wall <= 18 + 30, `claim to finish: ${wall} s`);
    // the final checkpoint carries the planned config: a probe opens it
    const probe = (await t.api().post(`/v1/jobs/${posted.id}/linear-probe`).set(t.env.auth).send({ datasetId: t.datasetId }).expect(202)).body;
    const probed = (await t.settle(`/v1/evaluations/${probe.id}`)) as Record<string, any>;
    assert.equal(probed.status, 'succeeded', JSON.stringify(probed.error));
  });

  it('refuses epochs and budget together, a budgetPlan in a request, and a bad budget (400 naming the field)', async () => {
    const post = (config: object) => t.api().post('/v1/jobs').set(t.env.auth).send({ datasetId: t.datasetId, config: { batchSize: 16, ...config } }).expect(400);
    const both = await post({ epochs: 3, budget: { minutes: 1 } });
    assert.equal(both.body.error.code, 'INVALID_JOB_CONFIG');
    assert.deepEqual(both.body.error.details, [{ field: 'config.budget', message: 'give either epochs or budget, not both' }]);
    const plan = await post({ budgetPlan: { epochs: 3 } });
    assert.equal(plan.body.error.details[0].field, 'config.budgetPlan');
    for (const budget of [{ minutes: 0 }, {}, { minutes: 1, hours: 1 }]) {
      const bad = await post({ budget });
      assert.match(bad.body.error.details[0].field, /^config\.budget/);
    }
  });
});
