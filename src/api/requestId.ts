// Request ids: an incoming `x-request-id` is kept (a proxy's or a client's id then appears in our
// logs), else a new UUID; either way it is echoed in the response header and logged as reqId on the
// request's one log line.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const REQUEST_ID_HEADER = 'x-request-id';
// what we accept from outside: short, no spaces or control characters (it goes into logs)
const ACCEPTED = /^[\w.:@/+=-]{1,128}$/;

export function genReqId(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && ACCEPTED.test(incoming) ? incoming : randomUUID();
}

async function echoRequestId(app: FastifyInstance) {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  // one log line per request, when it completes (fastify's own request logging, disabled in
  // buildApp, writes a second line as it arrives); a route's logLevel still applies
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
}

export const requestIdPlugin = fp(echoRequestId, { name: 'request-id' });
