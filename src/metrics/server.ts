// A worker's HTTP listener on METRICS_PORT (workers serve no API):
//   GET /metrics  Prometheus exposition
//   GET /healthz  liveness, answered from memory: training runs on its own thread, so a worker whose
//                 event loop cannot answer this is stuck, not busy.
// Errors answer a fixed code and message; what went wrong goes to the log only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { exposition, METRICS_CONTENT_TYPE } from './registry.ts';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

const json = (response: http.ServerResponse, status: number, body: unknown) =>
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

export async function startMetricsServer(port: number, host: string, log?: Pick<Logger, 'error'>): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const route = request.method === 'GET' ? request.url?.split('?')[0] : undefined;
    if (route === '/healthz') return json(response, 200, { status: 'ok' });
    if (route !== '/metrics') return json(response, 404, { error: { code: 'NOT_FOUND', message: 'only GET /metrics and GET /healthz are served here' } });
    exposition().then(
      (text) => response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
      (err: unknown) => {
        log?.error({ err }, 'collecting metrics failed');
        json(response, 500, { error: { code: 'METRICS_FAILED', message: 'metrics could not be collected' } });
      },
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
