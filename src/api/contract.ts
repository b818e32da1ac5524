// A route's schema as the contract states it: summary, tags, request schemas, success responses and
// the error codes it may answer. The errors every route of its kind shares (authentication, scopes,
// rate limits, request validation, JSON body limits) are added here, so the generated OpenAPI
// document lists, per status, every code a client can meet, each with its message template.
import type { FastifySchema } from 'fastify';
import { errors, type ErrorCode } from '../errors/catalogue.ts';
import { schemaRef } from './schemas.ts';

/** A code, or `CODE@status` for a code that answers with more than one status. */
export type ErrorRef = ErrorCode | `${ErrorCode}@${number}`;

export interface RouteContract {
  summary: string;
  description?: string;
  tags: string[];
  /** public routes (probes) take no API key and are not rate limited */
  public?: true;
  params?: object;
  querystring?: object;
  headers?: object;
  /** a JSON body; other bodies (archives, multipart) are described in `description` */
  body?: object;
  /** success responses by status */
  responses: Record<number, object>;
  /** what this route may answer beyond what every route of its kind may */
  errors?: ErrorRef[];
}

const AUTHENTICATED: ErrorRef[] = ['UNAUTHENTICATED', 'INVALID_API_KEY', 'API_KEY_EXPIRED@401', 'INSUFFICIENT_SCOPE', 'RATE_LIMITED'];
const VALIDATED: ErrorRef[] = ['VALIDATION_ERROR', 'INVALID_CHARACTER'];
const IN_PATH: ErrorRef[] = ['BAD_URL_ENCODING', 'URI_TOO_LONG'];
const JSON_BODY: ErrorRef[] = ['MALFORMED_JSON', 'JSON_TOO_DEEP', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];

const parse = (entry: ErrorRef): Array<[ErrorCode, number]> => {
  const [code, status] = entry.split('@') as [ErrorCode, string | undefined];
  return status ? [[code, Number(status)]] : errors[code].statuses.map((s) => [code, s]);
};

/** One code in an error response's description: its message template (… for an argument), and when it is answered. */
function line(code: ErrorCode): string {
  const { template, about } = errors[code];
  const message = template === '%s' ? '' : `"${template.replaceAll('%s', '…')}"`;
  return `- \`${code}\`: ${[message, about].filter(Boolean).join(' — ')}`;
}

/** The error responses for these codes: one per status, its description listing the codes. */
export function errorResponses(entries: ErrorRef[]): Record<number, object> {
  const byStatus = new Map<number, Set<ErrorCode>>();
  for (const [code, status] of entries.flatMap(parse)) {
    if (!byStatus.has(status)) byStatus.set(status, new Set());
    byStatus.get(status)!.add(code);
  }
  const responses: Record<number, object> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const description = [...codes].map(line).join('\n');
    responses[status] = {
      ...schemaRef('Error', description),
      ...(codes.has('RATE_LIMITED') && { headers: { 'Retry-After': { type: 'integer', description: 'with RATE_LIMITED: seconds until the key may send again' } } }),
    };
  }
  return responses;
}

export function contract(route: RouteContract): FastifySchema {
  const entries: ErrorRef[] = [
    ...(route.public ? [] : AUTHENTICATED),
    ...(route.params || route.querystring || route.body || route.headers ? VALIDATED : []),
    ...(route.params ? IN_PATH : []),
    ...(route.body ? JSON_BODY : []),
    ...(route.errors ?? []),
  ];
  return {
    summary: route.summary,
    ...(route.description && { description: route.description }),
    tags: route.tags,
    ...(route.public && { security: [] }),
    ...(route.params && { params: route.params }),
    ...(route.querystring && { querystring: route.querystring }),
    ...(route.headers && { headers: route.headers }),
    ...(route.body && { body: route.body }),
    response: { ...route.responses, ...errorResponses(entries) },
  } as FastifySchema;
}

/** Path parameters, each an Id. */
export const idParams = (...names: string[]) => ({ type: 'object', required: names, properties: Object.fromEntries(names.map((n) => [n, schemaRef('Id')])) });

/** An empty 204 answer. */
export const noContent = (description: string) => ({ type: 'null', description });

/** A binary or text answer (not JSON) of these media types. */
export const fileResponse = (description: string, mediaTypes: string[], headers?: Record<string, object>) => ({
  description,
  ...(headers && { headers }),
  content: Object.fromEntries(mediaTypes.map((m) => [m, { schema: { type: 'string', format: 'binary' } }])),
});
