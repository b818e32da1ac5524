// After a worker ends a training job or an evaluation: the experiments holding it move on (their next
// probes queued, or finished). A failure here is logged, never the task's: the next one retries it.
import type { Logger } from 'pino';
import type { Services } from '../src/services.ts';
import { advanceExperimentsOf } from '../src/domain/experimentState.ts';

export async function advanceExperiments(services: Services, log: Logger, ref: { jobId?: string; evaluationId?: string }): Promise<void> {
  try {
    await advanceExperimentsOf(services, ref);
  } catch (err) {
    log.warn({ err, ...ref }, 'advancing experiments failed');
  }
}
