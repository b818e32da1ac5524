// Typed configuration from the environment. Anything left unset falls back to the embedded default:
// no DATABASE_URL → embedded PostgreSQL, no S3_ENDPOINT/S3_BUCKET → a local S3-protocol server.
import path from 'node:path';
import { StartupError } from './embedded/startupError.ts';

export interface S3Config {
  /** undefined = AWS's regional endpoint */
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
}

export interface IngestLimits {
  maxArchiveBytes: number;
  maxArchiveEntries: number;
  maxImageBytes: number;
  maxImagePixels: number;
  maxFilesPerRequest: number;
}

export interface RateLimitConfig {
  /** requests per key per window; 0 turns rate limiting off */
  max: number;
  windowMs: number;
  /** shared counts across replicas; undefined → each process counts in memory */
  redisUrl?: string;
}

export interface Config {
  /** NODE_ENV=production: refuses a weak BOOTSTRAP_API_KEY */
  production: boolean;
  port: number;
  host: string;
  logLevel: string;
  dataDir: string;
  /** undefined → start an embedded PostgreSQL under dataDir */
  databaseUrl?: string;
  /** undefined → start an embedded S3 server under dataDir */
  s3?: S3Config;
  bootstrapApiKey?: string;
  /** run one worker inside the API process (the embedded default does) */
  inProcessWorker: boolean;
  publicUrl?: string;
  ingest: IngestLimits;
  /** the most a linear probe may hold in feature (and baseline) matrices: src/probe/budget.ts */
  probeMaxMatrixBytes: number;
  /** what the API may keep in memory of hot embedding sets for neighbour queries; 0 keeps none */
  embeddingCacheBytes: number;
  graphiql: boolean;
  /** a standalone worker's GET /metrics listener (the API serves /metrics on its own port) */
  metricsPort: number;
  rateLimit: RateLimitConfig;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  return raw === '1' || raw === 'true' || raw === 'yes';
}

/** A configuration the service refuses to start with; its message says what to change. */
export class ConfigError extends StartupError {}

// the manifests' placeholder, and a length below which a key is guessable
const PLACEHOLDER_KEYS = new Set(['change-me']);
const MIN_PRODUCTION_KEY_LENGTH = 24;

function checkBootstrapKey(key: string | undefined, production: boolean) {
  if (!production || key === undefined) return;
  if (PLACEHOLDER_KEYS.has(key)) {
    throw new ConfigError('BOOTSTRAP_API_KEY is the placeholder "change-me": set a random key of at least 24 characters (e.g. `openssl rand -base64 32`)');
  }
  if (key.length < MIN_PRODUCTION_KEY_LENGTH) {
    throw new ConfigError(`BOOTSTRAP_API_KEY is ${key.length} characters long; in production it must have at least ${MIN_PRODUCTION_KEY_LENGTH}`);
  }
}

export function loadConfig(env: Env = process.env): Config {
  const embeddedS3 = !env.S3_ENDPOINT && !env.S3_BUCKET;
  const databaseUrl = env.DATABASE_URL || undefined;
  const production = env.NODE_ENV === 'production';
  checkBootstrapKey(env.BOOTSTRAP_API_KEY || undefined, production);
  return {
    production,
    port: int(env, 'PORT', 8080),
    host: env.HOST || '0.0.0.0',
    logLevel: env.LOG_LEVEL || 'info',
    dataDir: path.resolve(env.DATA_DIR || './.data'),
    databaseUrl,
    s3: embeddedS3
      ? undefined
      : {
          endpoint: env.S3_ENDPOINT || undefined,
          bucket: env.S3_BUCKET || 'simsiam',
          region: env.S3_REGION || env.AWS_REGION || 'us-east-1',
          accessKeyId: env.AWS_ACCESS_KEY_ID || env.S3_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY || env.S3_SECRET_ACCESS_KEY,
          forcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', Boolean(env.S3_ENDPOINT)),
        },
    bootstrapApiKey: env.BOOTSTRAP_API_KEY || undefined,
    // the zero-config default trains in-process; a configured deployment runs `npm run worker` apart
    inProcessWorker: bool(env, 'IN_PROCESS_WORKER', !databaseUrl),
    publicUrl: env.PUBLIC_URL || undefined,
    graphiql: bool(env, 'GRAPHIQL', env.NODE_ENV !== 'production'),
    metricsPort: int(env, 'METRICS_PORT', 9464),
    probeMaxMatrixBytes: int(env, 'PROBE_MAX_MATRIX_BYTES', 4 * 1024 ** 3),
    embeddingCacheBytes: int(env, 'EMBEDDING_CACHE_BYTES', 512 * 1024 ** 2),
    rateLimit: {
      max: int(env, 'RATE_LIMIT_MAX', 1000),
      windowMs: int(env, 'RATE_LIMIT_WINDOW_MS', 60_000),
      redisUrl: env.REDIS_URL || undefined,
    },
    ingest: {
      maxArchiveBytes: int(env, 'MAX_ARCHIVE_BYTES', 4 * 1024 ** 3),
      maxArchiveEntries: int(env, 'MAX_ARCHIVE_ENTRIES', 1_000_000),
      maxImageBytes: int(env, 'MAX_IMAGE_BYTES', 32 * 1024 ** 2),
      maxImagePixels: int(env, 'MAX_IMAGE_PIXELS', 50_000_000),
      maxFilesPerRequest: int(env, 'MAX_FILES_PER_REQUEST', 1000),
    },
  };
}
