// Probes for load balancers, Kubernetes and Docker.
//   GET /healthz  liveness: the process serves HTTP. Answered from memory, so a slow dependency never
//                 gets a healthy process restarted.
//   GET /readyz   readiness: PostgreSQL and S3 answer. Checked at most once a second however many
//                 probes arrive (concurrent probes share one check), 503 while either fails.
// A failed check names the dependency only: its error (hosts, bucket names) goes to the log.
import type { FastifyInstance, FastifyBaseLogger } from 'fastify';
import type { Services } from '../services.ts';
import { contract } from './contract.ts';
import { schemaRef } from './schemas.ts';

const CHECK_EVERY_MS = 1000;
const CHECK_TIMEOUT_MS = 2000;

type Dependency = 'postgres' | 's3';
type DependencyState = 'ok' | 'unavailable';
type Readiness = { status: 'ok' | 'unavailable' } & Record<Dependency, DependencyState>;


/** The latest readiness result, re-checked when older than CHECK_EVERY_MS. */
class ReadinessCheck {
  private checkedAt = -Infinity;
  private result?: Promise<Readiness>;

  constructor(
    private readonly checks: Record<Dependency, () => Promise<unknown>>,
    private readonly log: FastifyBaseLogger,
  ) {}

  current(): Promise<Readiness> {
    const now = performance.now();
    if (!this.result || now - this.checkedAt >= CHECK_EVERY_MS) {
      this.checkedAt = now;
      this.result = this.run();
    }
    return this.result;
  }

  private async run(): Promise<Readiness> {
    const [postgres, s3] = await Promise.all([this.probe('postgres'), this.probe('s3')]);
    return { status: postgres === 'ok' && s3 === 'ok' ? 'ok' : 'unavailable', postgres, s3 };
  }

  private async probe(dependency: Dependency): Promise<DependencyState> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.checks[dependency](), timeout]);
      return 'ok';
    } catch (err) {
      this.log.warn({ err, dependency }, 'readiness check failed');
      return 'unavailable';
    } finally {
      clearTimeout(timer);
    }
  }
}

export async function healthRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const readiness = new ReadinessCheck({ postgres: () => services.pool.query('SELECT 1'), s3: () => services.blobs.ping() }, app.log);

  // probes arrive every few seconds from every balancer: not worth two log lines each
  const healthz = contract({
    summary: 'Liveness: the process serves HTTP (answered from memory; no dependency is checked)',
    tags: ['health'],
    public: true,
    responses: { 200: schemaRef('Health', 'alive') },
  });
  app.get('/healthz', { logLevel: 'warn', schema: healthz }, async () => ({ status: 'ok' }));

  const readyz = contract({
    summary: 'Readiness: PostgreSQL and S3 answer',
    description: 'Checked at most once a second; probes in between share the result. A failed check names the dependency only; its error is logged.',
    tags: ['health'],
    public: true,
    responses: { 200: schemaRef('Health', 'PostgreSQL and S3 answer'), 503: schemaRef('Health', 'a dependency does not answer (named)') },
  });
  app.get('/readyz', { logLevel: 'warn', schema: readyz }, async (_request, reply) => {
    const result = await readiness.current();
    if (result.status !== 'ok') reply.code(503);
    return result;
  });
}
