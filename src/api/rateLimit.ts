// Per-key rate limits (@fastify/rate-limit) on /v1 and /graphql. Counts live in Redis when REDIS_URL
// is set, so replicas share them, else in this process's memory. Registered after the auth plugin:
// its hook runs once the key is known, and counts per key id; requests without a valid key never get
// this far on /v1 (401), and elsewhere count per presented key, or per address without one.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import type { RateLimitConfig } from '../config.ts';
import { AppError } from '../domain/errors.ts';
import { bearerKey } from './auth.ts';

const LIMITED = (url: string) => url.startsWith('/v1') || url.startsWith('/graphql');

function bucketOf(request: FastifyRequest): string {
  if (request.principal) return `key:${request.principal.keyId}`;
  const presented = bearerKey(request.headers.authorization);
  return presented ? `presented:${createHash('sha256').update(presented).digest('hex').slice(0, 32)}` : `ip:${request.ip}`;
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
      new AppError(429, 'RATE_LIMITED', `rate limit of ${context.max} requests per ${windowMs / 1000} s exceeded; retry in ${context.after}`, {
        limit: context.max,
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });
}

export const rateLimitPlugin = fp(limits, { name: 'rate-limit', dependencies: ['auth'] });
