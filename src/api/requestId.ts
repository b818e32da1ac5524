// Request ids: an incoming `x-request-id` is kept (a proxy's or a client's id then appears in our
// logs), else a new UUID; either way it is echoed in the response header and logged as reqId on the
// request's one log line.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
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
}

/** One log line per request, when it completes, with the request and the response (fastify's
 *  default adds a second line as the request arrives); a route's logLevel still applies. */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const line = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

export const requestIdPlugin = fp(echoRequestId, { name: 'request-id' });
