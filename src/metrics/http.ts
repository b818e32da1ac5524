// HTTP latency by route pattern (`/v1/jobs/:id`, never the raw URL, so ids do not explode the
// label set) and the API's GET /metrics: this process's metrics plus the PostgreSQL-backed gauges.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Histogram } from 'prom-client';
import type { Services } from '../services.ts';
import { exposition, METRICS_CONTENT_TYPE, processRegistry } from './registry.ts';
import { databaseGauges } from './database.ts';

const requestDuration = new Histogram({
  name: 'simsiam_http_request_duration_seconds',
  help: 'HTTP request latency, by method, route pattern and status code',
  labelNames: ['method', 'route', 'status_code'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [processRegistry],
});

async function httpMetrics(app: FastifyInstance, { services }: { services: Services }) {
  const database = databaseGauges(services.pool);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requestDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    await database.refresh();
    return reply.header('content-type', METRICS_CONTENT_TYPE).send(await exposition(database.registry));
  });
}

export const httpMetricsPlugin = fp(httpMetrics, { name: 'http-metrics' });
