// Retrying a transient storage or database call with exponential backoff. The caller decides what a
// final failure means (fail the load, skip a periodic checkpoint, fail the attempt).

export interface RetryOptions {
  /** retries after the first try */
  retries: number;
  /** the first wait; each further wait doubles, up to maxDelayMs */
  baseDelayMs: number;
  maxDelayMs?: number;
  /** errors it refuses are thrown at once (default: every error is retried) */
  retryable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export async function withRetries<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= opts.retries || opts.retryable?.(err) === false) throw err;
      const delayMs = Math.min(opts.baseDelayMs * 2 ** attempt, opts.maxDelayMs ?? Infinity);
      opts.onRetry?.(err, attempt + 1, delayMs);
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
