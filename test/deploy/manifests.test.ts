// deploy/*.yaml and the Dockerfile, checked offline (checkManifests.ts): the real files pass, and
// each kind of mistake a cluster would refuse, or accept and regret, is caught. The autoscalers'
// queries run against a real pg-boss schema, as the read-only role the manifests describe.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import YAML from 'yaml';
import { checkDeploy, readDeployFiles, type DeployFiles } from './checkManifests.ts';
import { ADMIN_URL, createTestDatabase } from '../helpers/harness.ts';
import { startQueue, QUEUES } from '../../src/queue/boss.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const real = readDeployFiles(ROOT);

/** a parsed YAML document */
type Doc = Record<string, any>;

/** A copy of the real files with one document of `file` (the first `kind` in it) changed by `change`. */
function mutated(file: string, kind: string, change: (doc: Doc) => void): DeployFiles {
  const docs = YAML.parseAllDocuments(real.manifests[file]).map((d) => d.toJS());
  const target = docs.find((d) => d?.kind === kind);
  assert.ok(target, `${file} has a ${kind}`);
  change(target);
  return { ...real, manifests: { ...real.manifests, [file]: docs.map((d) => YAML.stringify(d)).join('---\n') } };
}
const withDockerfile = (from: string | RegExp, to: string): DeployFiles => {
  const dockerfile = real.dockerfile.replace(from, to);
  assert.notEqual(dockerfile, real.dockerfile, 'the mutation applies');
  return { ...real, dockerfile };
};
const podOf = (doc: Doc) => doc.spec.template.spec;

/** Asserts the check reports at least one problem matching `pattern`. */
function fails(files: DeployFiles, pattern: RegExp) {
  const problems = checkDeploy(files);
  assert.ok(problems.some((p) => pattern.test(p)), `expected a problem matching ${pattern}, got:\n${problems.join('\n') || '(none)'}`);
}

describe('deploy/ manifests, checked offline', () => {
  it('the manifests and Dockerfile as committed pass every check', () => {
    assert.deepEqual(checkDeploy(real), []);
    const kinds = Object.values(real.manifests).flatMap((t) => YAML.parseAllDocuments(t).map((d) => d.toJS()?.kind));
    for (const kind of ['Deployment', 'Service', 'ConfigMap', 'Secret', 'PodDisruptionBudget', 'ScaledObject', 'TriggerAuthentication']) {
      assert.ok(kinds.includes(kind), `deploy/ has a ${kind}`);
    }
  });

  describe('a mutated manifest fails', () => {
    it('an image USER given by name (runAsNonRoot cannot verify it)', () => {
      fails(withDockerfile(/^USER 10001:10001$/m, 'USER node'), /runs as USER node; it must be a numeric UID:GID/);
    });
    it('an image USER that differs from the pods runAsUser', () => {
      fails(withDockerfile(/^USER 10001:10001$/m, 'USER 1000:1000'), /runs as 10001:10001 but the image's USER is 1000:1000/);
    });
    it('a pod without runAsUser', () => {
      fails(mutated('worker-gpu.yaml', 'Deployment', (d) => delete podOf(d).securityContext.runAsUser), /runAsUser must be a numeric/);
    });
    it('runAsUser as a string (schema)', () => {
      fails(mutated('api.yaml', 'Deployment', (d) => (podOf(d).securityContext.runAsUser = '10001')), /schema: \/spec\/template\/spec\/securityContext\/runAsUser must be integer/);
    });
    it('a misspelt field (schema, strict)', () => {
      fails(mutated('worker-cpu.yaml', 'Deployment', (d) => (podOf(d).terminationGracePeriod = 300)), /must NOT have additional properties \(terminationGracePeriod\)/);
    });
    it('a missing required field (schema)', () => {
      fails(mutated('api.yaml', 'Deployment', (d) => delete podOf(d).containers[0].name), /must have required property 'name'/);
    });
    it('a container without resources', () => {
      fails(mutated('worker-cpu.yaml', 'Deployment', (d) => delete podOf(d).containers[0].resources), /resources.requests needs cpu and memory/);
    });
    it('a liveness probe on another path, a readiness probe that is not /readyz', () => {
      fails(mutated('api.yaml', 'Deployment', (d) => (podOf(d).containers[0].livenessProbe.httpGet.path = '/')), /livenessProbe must GET \/healthz/);
      fails(mutated('api.yaml', 'Deployment', (d) => (podOf(d).containers[0].readinessProbe.httpGet.path = '/healthz')), /readinessProbe must GET \/readyz/);
    });
    it('a read-only root filesystem without a writable /tmp', () => {
      fails(
        mutated('api.yaml', 'Deployment', (d) => (podOf(d).containers[0].volumeMounts = podOf(d).containers[0].volumeMounts.filter((m: Doc) => m.mountPath !== '/tmp'))),
        /nothing writable is mounted at \/tmp/,
      );
    });
    it('a worker whose grace period cannot cover a checkpoint write', () => {
      fails(mutated('worker-gpu.yaml', 'Deployment', (d) => (podOf(d).terminationGracePeriodSeconds = 30)), /terminationGracePeriodSeconds >= 120/);
    });
    it('a Deployment without a PodDisruptionBudget', () => {
      fails(mutated('pdb.yaml', 'PodDisruptionBudget', (d) => (d.spec.selector.matchLabels = { app: 'nothing' })), /Deployment simsiam-api: no PodDisruptionBudget/);
    });
    it('a ScaledObject with a misspelt field, or scaling what does not exist (KEDA schema)', () => {
      fails(mutated('keda.yaml', 'ScaledObject', (d) => (d.spec.minReplicas = 1)), /ScaledObject simsiam-worker-gpu: schema: \/spec must NOT have additional properties \(minReplicas\)/);
      fails(mutated('keda.yaml', 'ScaledObject', (d) => (d.spec.scaleTargetRef.name = 'simsiam-worker')), /scales simsiam-worker, which is not a Deployment/);
      fails(mutated('keda.yaml', 'ScaledObject', (d) => delete d.spec.triggers), /must have required property 'triggers'/);
    });
    it('a TriggerAuthentication naming a Secret key that does not exist', () => {
      fails(mutated('keda.yaml', 'TriggerAuthentication', (d) => (d.spec.secretTargetRef[0].key = 'url')), /Secret simsiam-queue-reader has no key url/);
    });
    it('a kind there is no schema for, and a file the kustomization does not list', () => {
      fails(mutated('api.yaml', 'Service', (d) => (d.apiVersion = 'v2')), /no schema for v2 Service/);
      fails({ ...real, manifests: { ...real.manifests, 'extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n' } }, /does not list extra.yaml/);
    });
  });

  it("the ScaledObjects' queries count their queues' jobs in flight, as the read-only role config.yaml describes", async () => {
    const database = await createTestDatabase();
    const role = `simsiam_queue_reader_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const boss = await startQueue(database.url, { supervise: false });
    const reader = new URL(database.url);
    reader.username = role;
    const asReader = new pg.Client({ connectionString: reader.toString() });
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      await admin.query(`GRANT USAGE ON SCHEMA pgboss TO ${role}`);
      await admin.query(`GRANT SELECT ON pgboss.job TO ${role}`);
      await asReader.connect();
      const queries = new Map(
        YAML.parseAllDocuments(real.manifests['keda.yaml'])
          .map((d) => d.toJS())
          .filter((d) => d.kind === 'ScaledObject')
          .map((d) => [d.metadata.name as string, d.spec.triggers[0].metadata.query as string]),
      );
      const count = async (name: string) => Number((await asReader.query(queries.get(name)!)).rows[0].count);
      const counts = async () => [await count('simsiam-worker-gpu'), await count('simsiam-worker-cpu')];

      assert.deepEqual(await counts(), [0, 0]);
      await boss.send(QUEUES.train, { id: 'job_a' });
      await boss.send(QUEUES.train, { id: 'job_b' });
      await boss.send(QUEUES.embed, { id: 'emb_a' });
      assert.deepEqual(await counts(), [2, 3], 'waiting jobs count');
      const [claimed] = await boss.fetch(QUEUES.train);
      assert.deepEqual(await counts(), [2, 3], 'a claimed (active) job still needs its worker');
      await boss.complete(QUEUES.train, claimed.id);
      assert.deepEqual(await counts(), [1, 2], 'a completed job does not');
      const [failing] = await boss.fetch(QUEUES.train);
      await boss.fail(QUEUES.train, failing.id);
      assert.deepEqual(await counts(), [1, 2], 'a job waiting for its retry does');
    } finally {
      await asReader.end().catch(() => {});
      await boss.stop({ graceful: false });
      await admin.end();
      await database.drop();
      const cluster = new pg.Client({ connectionString: ADMIN_URL });
      await cluster.connect();
      await cluster.query(`DROP ROLE IF EXISTS ${role}`);
      await cluster.end();
    }
  });
});
