// Refuses input PostgreSQL or the process cannot hold, before any route runs, for every route at
// once: NUL characters (PostgreSQL text cannot store them) in path parameters, query strings and
// JSON strings or keys, and JSON nested deeper than any request needs (deep nesting overflows the
// stack of recursive code such as structuredClone and schema validation).
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { errors, type AppError } from '../errors/catalogue.ts';

/** Deep enough for every request body of this API, shallow enough for any recursive walk. */
export const MAX_JSON_DEPTH = 32;

const nulRefused = (where: string) => errors.INVALID_CHARACTER(where);

/**
 * One pass over raw JSON text: the nesting depth, and whether a string holds an escaped NUL (a raw
 * one is invalid JSON and left to the parser).
 */
export function checkJsonText(text: string): AppError | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) {
        if (text.charCodeAt(i + 1) === 0x75 /* u */ && /^[0]{4}$/.test(text.slice(i + 2, i + 6))) return nulRefused('JSON strings');
        i += 1;
      } else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth += 1;
      if (depth > MAX_JSON_DEPTH) return errors.JSON_TOO_DEEP(MAX_JSON_DEPTH);
    } else if (c === 0x7d || c === 0x5d) depth -= 1;
  }
  return undefined;
}

/** Whether a string anywhere in a parsed value (keys included) holds a NUL character. */
export function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\0') || holdsNul(v));
  return false;
}

async function inputHygiene(app: FastifyInstance) {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const refused = checkJsonText(body as string);
    if (refused) return done(refused, undefined);
    parseJson(request, body as string, done);
  });
  app.addHook('preValidation', async (request) => {
    if (holdsNul(request.params)) throw nulRefused('path parameters');
    if (holdsNul(request.query)) throw nulRefused('query parameters');
  });
}

export const inputHygienePlugin = fp(inputHygiene, { name: 'input-hygiene' });
