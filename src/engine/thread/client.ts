// The I/O thread's handle on an engine thread: each op is an async call; pixel buffers are
// transferred, not copied.
import { Worker } from 'node:worker_threads';
import type { EngineOps, OpName, Reply } from './protocol.ts';

type Result<K extends OpName> = Awaited<ReturnType<EngineOps[K]>>;

export class EngineClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly worker: Worker;
  private exited?: Error;

  constructor() {
    this.worker = new Worker(new URL('./thread.mjs', import.meta.url));
    this.worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.value);
      else p.reject(Object.assign(new Error(reply.error.message), { stack: reply.error.stack, ...(reply.error.code ? { code: reply.error.code } : {}) }));
    });
    const fail = (err: Error) => {
      this.exited = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`engine thread exited with code ${code}`)));
  }

  call<K extends OpName>(op: K, args: Parameters<EngineOps[K]>[0], transfer: ArrayBuffer[] = []): Promise<Result<K>> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    await this.call('dispose', {}).catch(() => {});
    await this.worker.terminate();
  }
}
