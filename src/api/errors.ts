// One error shape everywhere: {error: {code, message, details?}}, every code from the catalogue
// (src/errors/catalogue.ts). Fastify's own errors (bad JSON, schema validation, body limits, unknown
// routes) are mapped to catalogue codes here.
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, errors, type ErrorCode } from '../errors/catalogue.ts';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_CONTENT_LENGTH',
  FST_REQ_FILE_TOO_LARGE: 'FILE_TOO_LARGE',
  FST_FILES_LIMIT: 'TOO_MANY_FILES',
  FST_PARTS_LIMIT: 'TOO_MANY_PARTS',
  FST_FIELDS_LIMIT: 'TOO_MANY_PARTS',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_BAD_URL: 'BAD_URL_ENCODING',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
};

/** A fastify (or plugin) 4xx error as a catalogue error: its status, our code, its bounded message. */
function fromFastify(err: Partial<FastifyError>, status: number): AppError {
  // plugin messages can echo input (paths, media types): bounded
  return new AppError(status, (err.code && FASTIFY_CODES[err.code]) ?? errors.BAD_REQUEST.code, (err.message ?? 'bad request').slice(0, 200));
}

/** The code a client sees for an error it caused (an AppError, a fastify 4xx), or undefined. */
export function clientErrorCode(err: unknown): ErrorCode | undefined {
  if (err instanceof AppError) return err.code as ErrorCode;
  const e = err as Partial<FastifyError>;
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return fromFastify(e, e.statusCode).code as ErrorCode;
  return undefined;
}

/** Fastify's router errors (bad percent-encoding, over-long path parameters), in our shape. */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  const known = err.code === 'FST_ERR_BAD_URL' ? errors.BAD_URL_ENCODING() : err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? errors.URI_TOO_LONG() : undefined;
  const refused = known ? new AppError(status, known.code, known.message) : errors.BAD_REQUEST('bad request');
  return reply.status(refused.statusCode).send(refused.body());
}

/** Errors the HTTP parser raises before there is a request (oversize headers or URL, garbage), in our shape. */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const refused =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? errors.HEADERS_TOO_LARGE()
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? errors.REQUEST_TIMEOUT()
        : errors.BAD_REQUEST('the request is not valid HTTP');
  const body = JSON.stringify(refused.body());
  const status = refused.statusCode;
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

async function errorHandling(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
    if (err instanceof AppError) return reply.status(err.statusCode).send(err.body());
    if (err.validation) {
      const details = err.validation.map((v) => ({
        field: (v.instancePath || '').replace(/^\//, '').replaceAll('/', '.') ||
          ((v.params as { missingProperty?: string; additionalProperty?: string }).missingProperty ??
            (v.params as { additionalProperty?: string }).additionalProperty ?? '(root)'),
        message: v.message ?? 'invalid',
      }));
      return reply.status(400).send(errors.VALIDATION_ERROR(err.message).with(details).body());
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err }, 'unhandled error');
      return reply.status(status).send(errors.INTERNAL().body());
    }
    return reply.status(status).send(fromFastify(err, status).body());
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errors.ROUTE_NOT_FOUND(request.method, request.url.split('?')[0]!).body()),
  );
}

export const errorsPlugin = fp(errorHandling, { name: 'errors' });
