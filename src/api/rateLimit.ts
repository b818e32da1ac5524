// Per-key rate limits (@fastify/rate-limit) on /v1 and /graphql. Counts live in Redis when REDIS_URL
// is set, so replicas share them, else in this process's memory. Registered after the auth plugin,
// so on /v1 an invalid key is answered 401 before it is counted. Buckets are named by a hash of the
// key, never the key.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import type { RateLimitConfig } from '../config.ts';
import { errors } from '../errors/catalogue.ts';
import { bearerKey } from './auth.ts';

const LIMITED = (url: string) => url.startsWith('/v1') || url.startsWith('/graphql');

/** One bucket per presented key (REST and GraphQL alike), per address without one. */
function bucketOf(request: FastifyRequest): string {
  const presented = bearerKey(request.headers.authorization);
  return presented ? `key:${createHash('sha256').update(`rate-limit:${presented}`).digest('hex').slice(0, 32)}` : `ip:${request.ip}`;
}

async function limits(app: FastifyInstance, opts: { config: RateLimitConfig }) {
  const { max, windowMs, redisUrl } = opts.config;
  if (max === 0) return;
  // no offline queue and one try per command: with Redis down a request is let through at once
  // (skipOnError) instead of waiting on reconnects
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false }) : undefined;
  if (redis) {
    redis.on('error', (err) => app.log.warn({ err: err.message }, 'rate-limit Redis unavailable; requests are not counted'));
    app.addHook('onClose', async () => void (await redis.quit().catch(() => redis.disconnect())));
  }
  await app.register(rateLimit, {
    global: true,
    max,
    timeWindow: windowMs,
    redis,
    nameSpace: 'simsiam-rate-limit:',
    skipOnError: true,
    allowList: (request) => !LIMITED(request.url),
    keyGenerator: bucketOf,
    errorResponseBuilder: (_request, context) =>
      errors.RATE_LIMITED(context.max, windowMs / 1000, context.after).with({
        limit: context.max,
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });
}

export const rateLimitPlugin = fp(limits, { name: 'rate-limit', dependencies: ['auth'] });
