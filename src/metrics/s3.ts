// S3 errors: every S3 call that fails after the SDK's own retries, by operation and error name. A
// 404 is a miss the caller expects (head of an absent export, say), not an error.
import type { S3Client } from '@aws-sdk/client-s3';
import { Counter } from 'prom-client';
import { processRegistry } from './registry.ts';

const s3Errors = new Counter({
  name: 'simsiam_s3_errors_total',
  help: 'S3 calls that failed after retries, by operation and error name (404s excluded)',
  labelNames: ['operation', 'code'],
  registers: [processRegistry],
});

export function countS3Errors(client: S3Client) {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.$metadata?.httpStatusCode !== 404) s3Errors.inc({ operation: context.commandName ?? 'unknown', code: e.name ?? 'Error' });
        throw err;
      }
    },
    // outermost step: one count per call, after the retry middleware has given up
    { step: 'initialize', name: 'simsiamS3ErrorCounter' },
  );
}
