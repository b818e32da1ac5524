// The API's handle on its neighbour-scan thread: an O(N·D) scan must not hold the event loop, where
// every other request of the process waits. Chunks of rows are transferred (not copied) to the
// thread as they arrive from storage; the next chunk is read while the thread scores the last, and
// sent once the thread is ready for it, so memory stays at about two chunks per scan.
import { Worker } from 'node:worker_threads';
import { norm, type Scored } from './cosineTopK.ts';
import type { ScanMessage, ScanReply } from './neighborsProtocol.ts';

/** Rows [start, start + n) as a [n, dim] row-major block. */
export interface RowChunk {
  start: number;
  vectors: Float32Array;
}

/** A buffer that is the whole of its ArrayBuffer can move to the thread; a view into a shared one is copied. */
const movable = (v: Float32Array) => (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? v : v.slice());

export class NeighborScanner {
  private worker?: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: ScanReply & { ok: true }) => void; reject: (err: Error) => void }>();

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./neighborsThread.mjs', import.meta.url));
    worker.on('message', (reply: ScanReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) waiter.resolve(reply);
      else waiter.reject(new Error(reply.error));
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined; // the next scan starts a new thread
      for (const waiter of this.pending.values()) waiter.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`neighbour-scan thread exited with code ${code}`)));
    // an idle thread must not keep the process alive; one with work pending must
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** One message to the thread; the id's previous reply must have arrived (one message in flight per scan). */
  private send(message: ScanMessage, transfer: ArrayBuffer[] = []): Promise<ScanReply & { ok: true }> {
    const worker = this.thread();
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      worker.ref();
      worker.postMessage(message, transfer);
    });
  }

  /** The k rows of `chunks` most cosine-similar to `query` (row `queryRow`, which ranks first), best first. */
  async nearest(query: Float32Array, queryRow: number, k: number, chunks: AsyncIterable<RowChunk>): Promise<Scored[]> {
    const id = this.nextId++;
    const q = query.slice();
    await this.send({ id, op: 'begin', query: q, queryNorm: norm(q), k, queryRow });
    let scoring: Promise<unknown> = Promise.resolve();
    try {
      for await (const { start, vectors } of chunks) {
        await scoring;
        const moved = movable(vectors);
        scoring = this.send({ id, op: 'chunk', start, vectors: moved }, [moved.buffer as ArrayBuffer]);
        // awaited on the next turn; until then a failure must not count as unhandled
        scoring.catch(() => {});
      }
      await scoring;
    } catch (err) {
      // a storage error mid-scan: the thread forgets the scan (once its last chunk is done)
      await scoring.catch(() => {});
      await this.send({ id, op: 'end' }).catch(() => {});
      throw err;
    }
    return (await this.send({ id, op: 'end' })).best!;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
