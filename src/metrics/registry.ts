// This process's Prometheus metrics (prom-client): every counter, histogram and gauge that code in
// this process updates lives in `processRegistry`, beside Node's default process metrics. Gauges
// read from PostgreSQL on scrape live in a registry of their own (./database.ts), served by the API.
import { collectDefaultMetrics, Registry } from 'prom-client';

export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

export const METRICS_CONTENT_TYPE = processRegistry.contentType;

/** The text exposition of this process's metrics followed by `extra` registries. */
export async function exposition(...extra: Registry[]): Promise<string> {
  const parts = await Promise.all([processRegistry, ...extra].map((r) => r.metrics()));
  return parts.join('\n');
}
