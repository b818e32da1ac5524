// Every error code a client of the REST or GraphQL API can see, with its HTTP status and message
// template, in the manner of fastify's lib/errors.js: `errors.JOB_NOT_FOUND(id)` makes the AppError,
// `%s` in a template takes the next argument. The OpenAPI document enumerates these codes and lists,
// per route and status, the ones it may answer. A few codes answer with more than one status; the
// first is the default and `withStatus` picks another (QUOTA_EXCEEDED: 403 for what is stored, 429
// for what frees up by itself).
import { AppError } from './appError.ts';

export { AppError } from './appError.ts';

interface Entry {
  status: number | readonly number[];
  message: string;
  /** When the template alone does not say when the code is answered. */
  about?: string;
}

const CATALOGUE = {
  // the request itself
  BAD_REQUEST: { status: 400, message: '%s', about: 'a request the service cannot read' },
  VALIDATION_ERROR: { status: 400, message: '%s', about: 'the request does not match the route schema; details name each field' },
  MALFORMED_JSON: { status: 400, message: '%s', about: 'the body is not JSON, or empty' },
  JSON_TOO_DEEP: { status: 400, message: 'JSON bodies may nest at most %s levels' },
  INVALID_CHARACTER: { status: 400, message: '%s must not contain NUL characters' },
  BAD_CONTENT_LENGTH: { status: 400, message: '%s', about: 'Content-Length does not match the body' },
  BAD_URL_ENCODING: { status: 400, message: 'the URL is not validly percent-encoded' },
  INVALID_CURSOR: { status: 400, message: 'cursor is not one this API returned' },
  ROUTE_NOT_FOUND: { status: 404, message: 'no route %s %s' },
  REQUEST_TIMEOUT: { status: 408, message: 'the request took too long to arrive' },
  PAYLOAD_TOO_LARGE: { status: 413, message: '%s', about: 'the JSON body is over 1 MiB' },
  FILE_TOO_LARGE: { status: 413, message: '%s is larger than the upload limit' },
  TOO_MANY_FILES: { status: 413, message: '%s', about: 'more multipart files than MAX_FILES_PER_REQUEST' },
  TOO_MANY_PARTS: { status: 413, message: '%s', about: 'more multipart parts than allowed' },
  URI_TOO_LONG: { status: 414, message: 'a path segment of the URL is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: '%s', about: 'the Content-Type is not one the route reads' },
  HEADERS_TOO_LARGE: { status: 431, message: 'the request line and headers are too large' },
  INTERNAL: { status: 500, message: 'internal server error' },

  // keys, scopes, rate limits, quotas
  UNAUTHENTICATED: { status: 401, message: '%s', about: 'no `Authorization: Bearer <api key>` header' },
  INVALID_API_KEY: { status: 401, message: 'the API key is not valid', about: 'unknown or revoked key' },
  API_KEY_EXPIRED: { status: [401, 409], message: 'API key %s expired at %s', about: '401 when presented; 409 when an admin rotates it' },
  INSUFFICIENT_SCOPE: { status: 403, message: 'this API key lacks the "%s" scope' },
  RATE_LIMITED: { status: 429, message: 'rate limit of %s requests per %s s exceeded; retry in %s', about: 'see the Retry-After header' },
  QUOTA_EXCEEDED: {
    status: [403, 429],
    message: 'quota %s exceeded: %s used of %s, this request needs %s more',
    about: '403 for storageBytes, images, datasets; 429 for activeJobs, concurrentTasks, trainingMinutesPerMonth; details name the quota',
  },

  // admin
  TENANT_NOT_FOUND: { status: 404, message: 'tenant %s not found' },
  API_KEY_NOT_FOUND: { status: 404, message: 'API key %s not found' },
  API_KEY_REVOKED: { status: 409, message: 'API key %s is revoked; create a new one instead' },
  CANNOT_DELETE_OWN_TENANT: { status: 409, message: 'an admin key cannot delete its own tenant' },
  INVALID_EXPIRY: { status: 400, message: 'expiresAt %s' },

  // datasets and ingest
  DATASET_NOT_FOUND: { status: 404, message: 'dataset %s not found' },
  IMAGE_NOT_FOUND: { status: 404, message: 'image %s not found' },
  DATASET_IN_USE: { status: 409, message: 'dataset %s is used by %s queued or running job(s)' },
  DATASET_EMPTY: { status: 422, message: 'dataset %s has no images' },
  DATASET_UNLABELED: { status: 422, message: 'dataset %s has %s unlabeled images; probing needs a label on every image' },
  DATASET_TOO_SMALL: { status: 422, message: '%s' , about: 'fewer images than a batch (training) or than a split needs (probe)' },
  EMPTY_ARCHIVE: { status: 400, message: 'the body is empty; send a .tar or .tar.gz archive' },
  INVALID_ARCHIVE: { status: 400, message: 'the body is not a readable .tar or .tar.gz: %s' },
  ARCHIVE_TOO_LARGE: { status: 413, message: 'the archive exceeds %s bytes' },
  TOO_MANY_ENTRIES: { status: 413, message: 'the %s holds more than %s entries' },
  UPLOAD_NOT_FOUND: { status: 404, message: 'upload %s not found' },
  UPLOAD_IN_PROGRESS: { status: 409, message: 'upload %s is being completed' },
  UPLOAD_EXPIRED: { status: 410, message: 'upload %s expired at %s' },
  INVALID_PREFIX: { status: 400, message: 'prefix %s' },
  PREFIX_FORBIDDEN: { status: 403, message: 'imports read only your own namespace %s; send a prefix relative to it' },
  PREFIX_NOT_FOUND: { status: 404, message: 'no objects under %s in your namespace %s' },

  // images sent to be embedded (ingest skips such files instead, naming the same reason)
  NO_IMAGES: { status: 400, message: 'send at least one image as a multipart file part' },
  TOO_MANY_IMAGES: { status: 413, message: 'at most %s images per request; use an embedding set for more' },
  NOT_AN_IMAGE: { status: 422, message: '%s is not an image' },
  UNSUPPORTED_FORMAT: { status: 422, message: '%s is in a format this service does not accept' },
  CORRUPT_IMAGE: { status: 422, message: '%s is not a decodable image' },
  IMAGE_TOO_LARGE: { status: 422, message: '%s has more pixels than this service decodes' },

  // jobs and what they make
  JOB_NOT_FOUND: { status: 404, message: 'job %s not found' },
  CHECKPOINT_NOT_FOUND: { status: 404, message: 'checkpoint %s not found' },
  MODEL_NOT_READY: { status: 404, message: 'job %s has no exported model yet (status %s)' },
  INVALID_JOB_CONFIG: { status: 400, message: 'invalid config: %s' },
  ENGINE_OUT_OF_MEMORY: {
    status: 422,
    message: '%s',
    about: "a training job's failure (its error.code, never an HTTP answer): a step did not fit in the engine's memory; the message says what to lower (batchSize, imageSize) or that checkpointBlocks can help. Not retried",
  },
  IDEMPOTENCY_KEY_REUSED: { status: 409, message: 'this Idempotency-Key was used for a different request' },
  JOB_FINISHED: { status: 409, message: 'job %s is already %s' },
  JOB_NOT_READY: { status: 409, message: 'job %s (%s) has no checkpoint yet' },
  JOB_STILL_RUNNING: { status: 409, message: '%s; retry the delete', about: 'cancellation was asked for but the job has not stopped yet' },
  EXPERIMENT_NOT_FOUND: { status: 404, message: 'experiment %s not found' },
  INVALID_EXPERIMENT: { status: 400, message: '%s' },
  EMBEDDING_SET_NOT_FOUND: { status: 404, message: 'embedding set %s not found' },
  IMAGE_NOT_IN_SET: { status: 404, message: 'image %s is not in embedding set %s' },
  EMBEDDINGS_NOT_READY: { status: 409, message: 'embedding set %s is %s' },
  EMBEDDINGS_RUNNING: { status: 409, message: 'embedding set(s) %s are being computed; delete once they finish' },
  EVALUATION_NOT_FOUND: { status: 404, message: 'evaluation %s not found' },
  INVALID_PROBE_REQUEST: { status: 400, message: '%s', about: 'the probe request mixes or lacks its dataset fields' },
  PROBE_TOO_LARGE: { status: 422, message: '%s', about: 'the probe would need more memory than PROBE_MAX_MATRIX_BYTES' },

  // GraphQL (answered in errors[].extensions.code)
  INVALID_ARGUMENT: { status: 400, message: '%s must be an integer from 1 to %s' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, message: '%s', about: 'the operation does not parse or validate against the schema' },
  BAD_USER_INPUT: { status: 400, message: '%s', about: 'a variable or argument does not fit its type' },
  QUERY_TOO_DEEP: { status: 400, message: '%s', about: 'the operation nests deeper than the depth limit' },
  TOO_MANY_ALIASES: { status: 400, message: 'an operation may use at most %s aliases' },
  QUERY_TOO_COMPLEX: { status: 400, message: 'the operation would cost %s, over the limit of %s (list sizes multiply; ask for smaller pages or fewer fields)' },
  TOO_MANY_SUBSCRIPTIONS: { status: 400, message: 'a connection may hold at most %s subscriptions' },

  // the metrics port (METRICS_PORT), outside the API
  NOT_FOUND: { status: 404, message: 'only GET /metrics and GET /healthz are served here' },
  METRICS_FAILED: { status: 500, message: 'metrics could not be collected' },
} as const satisfies Record<string, Entry>;

type Catalogue = typeof CATALOGUE;
export type ErrorCode = keyof Catalogue;

type FormatArgs<T extends string> = T extends `${string}%s${infer Rest}` ? [string | number, ...FormatArgs<Rest>] : [];

export interface ErrorFactory<T extends string> {
  (...args: FormatArgs<T>): AppError;
  readonly code: ErrorCode;
  /** The statuses this code answers with; the first is the one the factory uses. */
  readonly statuses: readonly number[];
  readonly template: T;
  readonly about?: string;
  withStatus(status: number): (...args: FormatArgs<T>) => AppError;
}

const format = (template: string, args: ReadonlyArray<string | number>) => {
  let i = 0;
  return template.replace(/%s/g, () => String(args[i++]));
};

function createError<T extends string>(code: ErrorCode, entry: { status: Entry['status']; message: T; about?: string }): ErrorFactory<T> {
  const statuses = typeof entry.status === 'number' ? [entry.status] : entry.status;
  const make = (status: number) => (...args: FormatArgs<T>) => new AppError(status, code, format(entry.message, args));
  return Object.assign(make(statuses[0]!), {
    code,
    statuses,
    template: entry.message,
    about: entry.about,
    withStatus(status: number) {
      if (!statuses.includes(status)) throw new Error(`${code} is not answered with ${status}`);
      return make(status);
    },
  });
}

export const errors = Object.fromEntries(
  Object.entries(CATALOGUE).map(([code, entry]) => [code, createError(code as ErrorCode, entry)]),
) as { [C in ErrorCode]: ErrorFactory<Catalogue[C]['message']> };

export const ERROR_CODES = Object.keys(CATALOGUE) as ErrorCode[];

export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(CATALOGUE, code);
