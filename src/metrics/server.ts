// A worker's HTTP listener on METRICS_PORT (workers serve no API):
//   GET /metrics  Prometheus exposition
//   GET /healthz  liveness, answered from memory: training runs on its own thread, so a worker whose
//                 event loop cannot answer this is stuck, not busy.
// Errors answer a fixed code and message; what went wrong goes to the log only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { exposition, METRICS_CONTENT_TYPE } from './registry.ts';
import { errors, type AppError } from '../errors/catalogue.ts';

const json = (response: http.ServerResponse, status: number, body: unknown) =>
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const error = (response: http.ServerResponse, err: AppError) => json(response, err.statusCode, err.body());

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(port: number, host: string, log?: Pick<Logger, 'error'>): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const route = request.method === 'GET' ? request.url?.split('?')[0] : undefined;
    if (route === '/healthz') return json(response, 200, { status: 'ok' });
    if (route !== '/metrics') return error(response, errors.NOT_FOUND());
    exposition().then(
      (text) => response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
      (err: unknown) => {
        log?.error({ err }, 'collecting metrics failed');
        error(response, errors.METRICS_FAILED());
      },
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
