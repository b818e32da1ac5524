// Embedding sets and evaluations have no live feed: the CLI polls them until they are finished.
import { EXIT } from './exitCodes.ts';
import { emit, note, type Output } from './output.ts';
import { isFinished } from './jobProgress.ts';

export interface TaskLike {
  id: string;
  status: string;
  error?: { code: string; message: string } | null;
}

const POLL_MS = 1000;

/**
 * Polls a started task until it is finished: the task if it succeeded; otherwise it is printed as
 * the command's result, the exit code set to EXIT.failed, and undefined returned.
 */
export async function succeededTask<T extends TaskLike>(out: Output, what: string, read: () => Promise<T>): Promise<T | undefined> {
  let task = await read();
  if (!isFinished(task.status)) note(out, `${what} ${task.id} ${task.status}, waiting...`);
  while (!isFinished(task.status)) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    task = await read();
  }
  if (task.status === 'succeeded') return task;
  emit(out, task, `${what} ${task.id} ${task.status}${task.error ? `: ${task.error.code}: ${task.error.message}` : ''}`);
  process.exitCode = EXIT.failed;
  return undefined;
}
