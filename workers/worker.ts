import type { Logger } from 'pino';
import type { Services } from '../src/services.ts';

// PLACEHOLDER: the training worker is being written
export async function startWorker(_services: Services, _log: Logger) {
  return { stop: async () => {} };
}
