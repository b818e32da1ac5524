// A worker's GET /metrics: a bare HTTP listener (workers serve no API) on METRICS_PORT.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exposition, METRICS_CONTENT_TYPE } from './registry.ts';
import { errors, type AppError } from '../errors/catalogue.ts';

const json = (response: http.ServerResponse, err: AppError) =>
  response.writeHead(err.statusCode, { 'content-type': 'application/json' }).end(JSON.stringify(err.body()));

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(port: number, host: string): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      json(response, errors.NOT_FOUND());
      return;
    }
    exposition().then(
      (text) => response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
      (err: Error) => json(response, errors.METRICS_FAILED(err.message)),
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
