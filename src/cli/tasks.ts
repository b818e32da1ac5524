// Embedding sets and evaluations have no live feed: the CLI polls them until they are finished.
import { note, type Output } from './output.ts';
import { isFinished } from './jobProgress.ts';

export interface TaskLike {
  id: string;
  status: string;
  error?: { code: string; message: string } | null;
}

const POLL_MS = 1000;

export async function settleTask<T extends TaskLike>(out: Output, what: string, read: () => Promise<T>): Promise<T> {
  let task = await read();
  if (!isFinished(task.status)) note(out, `${what} ${task.id} ${task.status}, waiting...`);
  while (!isFinished(task.status)) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    task = await read();
  }
  return task;
}

/** The line a failed task prints; its exit code is EXIT.failed. */
export const taskFailure = (what: string, task: TaskLike) =>
  `${what} ${task.id} ${task.status}${task.error ? `: ${task.error.code}: ${task.error.message}` : ''}`;
