// Liveness for load balancers and Docker: 200 only when PostgreSQL and S3 both answer.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';

export async function healthRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.get('/healthz', async (_request, reply) => {
    const check = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
        return 'ok';
      } catch (err) {
        return `error: ${(err as Error).message}`;
      }
    };
    const [postgres, s3] = await Promise.all([
      check(() => services.pool.query('SELECT 1')),
      check(() => services.blobs.ping()),
    ]);
    const healthy = postgres === 'ok' && s3 === 'ok';
    return reply.status(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unavailable', postgres, s3 });
  });
}
