// Domain errors (AppError: 401/404/409...) become GraphQL errors carrying the same stable code in
// extensions.code, so REST and GraphQL clients branch on the same strings. Every error leaves
// through safeErrorFormatter: anything that is neither coded by us nor about the query text (a
// database error, a bug) is logged in full and answered as INTERNAL with a fixed message, so no
// internal text (SQL, file paths, ids) reaches a client.
import { GraphQLError } from 'graphql';
import mercurius, { type MercuriusContext } from 'mercurius';
import type { FastifyBaseLogger } from 'fastify';
import { AppError, errors, isErrorCode, type ErrorCode } from '../errors/catalogue.ts';
import { holdsNul } from '../api/inputHygiene.ts';
import { clientErrorCode } from '../api/errors.ts';

/** A catalogue error as a GraphQL error: its code (and details) in extensions. */
export const asGraphqlError = (err: AppError, status?: number) =>
  new mercurius.ErrorWithProps(err.message, err.details === undefined ? { code: err.code } : { code: err.code, details: err.details }, status);

export function guarded<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    // arguments reach the database: PostgreSQL text cannot hold NUL (REST refuses it in inputHygiene.ts)
    if (holdsNul(args[1])) throw asGraphqlError(errors.INVALID_CHARACTER('arguments'), 400);
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof AppError) throw asGraphqlError(err);
      throw err;
    }
  };
}

const withCode = (error: GraphQLError, code: ErrorCode, message = error.message) =>
  new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    // kept for its statusCode (mercurius answers a lone error's status); never serialized
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });

/** graphql-js and mercurius name some errors' codes themselves; any outside the catalogue becomes `fallback`. */
const knownCode = (code: unknown, fallback: ErrorCode): ErrorCode => (typeof code === 'string' && isErrorCode(code) ? code : fallback);

/** One error as a client may see it (a list: mercurius bundles validation errors into one). */
function safeErrors(error: GraphQLError, log: FastifyBaseLogger): GraphQLError[] {
  const original = error.originalError as (Error & { code?: string; errors?: unknown[] }) | undefined;
  // syntax, validation and variable errors: about the query the client sent
  if (!original) return [withCode(error, knownCode(error.extensions?.code, 'GRAPHQL_VALIDATION_FAILED'))];
  if (original instanceof mercurius.ErrorWithProps) return [error];
  if (Array.isArray(original.errors)) {
    const code: ErrorCode = original.errors.some((e) => (e as Error).message?.includes('exceeds the query depth limit')) ? 'QUERY_TOO_DEEP' : 'GRAPHQL_VALIDATION_FAILED';
    return original.errors.map((e) => (e instanceof GraphQLError ? withCode(e, code) : new GraphQLError(String((e as Error).message), { extensions: { code } })));
  }
  if (original instanceof GraphQLError) return [withCode(error, knownCode(original.extensions?.code, 'BAD_USER_INPUT'))];
  // refused before GraphQL saw it (body parser, input hygiene): the same code REST would give
  const clientCode = clientErrorCode(original);
  if (clientCode) return [withCode(error, clientCode, original.message.slice(0, 200))];
  log.error({ err: original, path: error.path }, 'graphql: unexpected error');
  return [withCode(error, 'INTERNAL', errors.INTERNAL().message)];
}

export function safeErrorFormatter(execution: { data?: unknown; errors: readonly GraphQLError[]; statusCode?: number }, context: MercuriusContext) {
  const log = context.reply ? context.reply.log : context.app.log;
  const safe = execution.errors.flatMap((error) => safeErrors(error, log));
  const refused = safe.every((e) => e.extensions?.code === errors.QUERY_TOO_DEEP.code || e.extensions?.code === errors.GRAPHQL_VALIDATION_FAILED.code);
  const formatted = mercurius.defaultErrorFormatter({ ...execution, errors: safe } as never, context);
  // an operation refused before it ran is the client's error
  if (!execution.data && refused && safe.length) formatted.statusCode = 400;
  return formatted;
}
