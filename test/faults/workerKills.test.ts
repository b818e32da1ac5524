// The short version of bench/faults (the full run kills a worker 20 times): the service in production
// mode (API and workers as processes, PostgreSQL, s3rver), its worker SIGKILLed 3 times during one job.
// The job succeeds, no kill loses more than one checkpoint interval, each takeover is within two
// heartbeats, and the final weights equal an uninterrupted run's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_URL } from '../helpers/harness.ts';
import { startStack, uploadDataset, type Stack } from '../../bench/faults/stack.ts';
import { workerKills } from '../../bench/faults/workerKills.ts';
import { FAULT_JOB } from '../../bench/faults/jobs.ts';

const HEARTBEAT_SECONDS = 10;

describe('worker SIGKILLs during one job', () => {
  let stack: Stack;
  let dataset: { id: string; images: number };

  before(async () => {
    stack = await startStack({ pgAdminUrl: ADMIN_URL, heartbeatSeconds: HEARTBEAT_SECONDS });
    await stack.startApi();
    dataset = await uploadDataset(stack, FAULT_JOB.classes, FAULT_JOB.perClass);
  });
  after(async () => {
    await stack?.close();
  });

  it('3 kills: the job succeeds with the uninterrupted run\'s weights, each kill costs one checkpoint interval at most', async (t) => {
    const result = await workerKills(stack, {
      datasetId: dataset.id,
      images: dataset.images,
      config: { ...FAULT_JOB.config, epochs: 16 },
      kills: 3,
    });
    t.diagnostic(JSON.stringify(result));
    assert.equal(result.jobStatus, 'succeeded');
    assert.equal(result.kills.length, 3, 'the job outlasted every kill');
    for (const k of result.kills) {
      assert.ok(k.lostSteps <= result.checkpointIntervalSteps, `kill ${k.kill} lost ${k.lostSteps} steps`);
      assert.ok(k.takeoverSeconds <= 2 * HEARTBEAT_SECONDS, `kill ${k.kill}: training resumed after ${k.takeoverSeconds} s`);
    }
    assert.ok(result.finalWeightsEqual, 'final weights equal the uninterrupted run');
  });
});
