// Liveness for load balancers and Docker: 200 only when PostgreSQL and S3 both answer.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';

export async function healthRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.get('/healthz', async (request, reply) => {
    // the reason stays in the log: error text can name hosts, users and paths
    const check = async (name: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
        return 'ok';
      } catch (err) {
        request.log.warn({ err, dependency: name }, 'health check failed');
        return 'unavailable';
      }
    };
    const [postgres, s3] = await Promise.all([
      check('postgres', () => services.pool.query('SELECT 1')),
      check('s3', () => services.blobs.ping()),
    ]);
    const healthy = postgres === 'ok' && s3 === 'ok';
    return reply.status(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unavailable', postgres, s3 });
  });
}
