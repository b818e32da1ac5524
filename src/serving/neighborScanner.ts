// The API's handle on its neighbour-scan thread: an O(N·D) scan must not hold the event loop, where
// every other request of the process waits. The thread holds hot sets for queries (hold, query,
// drop) and scans the others as they stream from storage. Chunks of rows are transferred (not
// copied) to the thread as they arrive; the next chunk is read while the thread takes the last, and
// sent once the thread is ready for it, so a stream costs about two chunks of memory here.
import { Worker } from 'node:worker_threads';
import type { Scored } from './cosineTopK.ts';
import type { ScanMessage, ScanReply } from './neighborsProtocol.ts';

/** Rows [start, start + n) as a [n, dim] row-major block. */
export interface RowChunk {
  start: number;
  vectors: Float32Array;
}

type Reply = ScanReply & { ok: true };

/** A buffer that is the whole of its ArrayBuffer can move to the thread; a view into a shared one is copied. */
const movable = (v: Float32Array) => (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? v : v.slice());

export class NeighborScanner {
  /** `lost` is told when a thread that may have held sets died (not when close() stopped it) */
  constructor(private readonly lost?: () => void) {}

  private worker?: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (err: Error) => void }>();

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
      const current = this.worker === worker;
      if (current) this.worker = undefined; // the next call starts a new thread, holding nothing
      for (const waiter of this.pending.values()) waiter.reject(err);
      this.pending.clear();
      if (current) this.lost?.();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`neighbour-scan thread exited with code ${code}`)));
    // an idle thread must not keep the process alive; one with work pending must
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** One message to the thread; a scan's previous message must have been answered (one in flight per id). */
  private send(message: ScanMessage, transfer: ArrayBuffer[] = []): Promise<Reply> {
    const worker = this.thread();
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      worker.ref();
      worker.postMessage(message, transfer);
    });
  }

  /** Sends each chunk once the last is taken, reading the next meanwhile. */
  private async feed(chunks: AsyncIterable<RowChunk>, sendChunk: (chunk: RowChunk, transfer: ArrayBuffer[]) => Promise<Reply>, signal?: AbortSignal): Promise<void> {
    let sending: Promise<unknown> = Promise.resolve();
    try {
      for await (const { start, vectors } of chunks) {
        await sending;
        signal?.throwIfAborted();
        const moved = movable(vectors);
        sending = sendChunk({ start, vectors: moved }, [moved.buffer as ArrayBuffer]);
        // awaited on the next turn; until then a failure must not count as unhandled
        sending.catch(() => {});
      }
      await sending;
    } catch (err) {
      await sending.catch(() => {});
      throw err;
    }
  }

  /** The k rows of `chunks` most cosine-similar to `query` (row `queryRow`, which ranks first), best first. */
  async nearest(query: Float32Array, queryRow: number, k: number, chunks: AsyncIterable<RowChunk>): Promise<Scored[]> {
    const id = this.nextId++;
    await this.send({ id, op: 'begin', query: query.slice(), k, queryRow });
    try {
      await this.feed(chunks, (chunk, transfer) => this.send({ id, op: 'chunk', ...chunk }, transfer));
    } catch (err) {
      // a storage error mid-scan: the thread forgets the scan
      await this.send({ id, op: 'end' }).catch(() => {});
      throw err;
    }
    return (await this.send({ id, op: 'end' })).best!;
  }

  /** Has the thread hold `set` (count × dim) from `chunks`; on failure or abort it holds nothing. */
  async hold(set: string, count: number, dim: number, chunks: AsyncIterable<RowChunk>, signal?: AbortSignal): Promise<void> {
    await this.send({ id: this.nextId++, op: 'hold', set, count, dim });
    try {
      await this.feed(chunks, (chunk, transfer) => this.send({ id: this.nextId++, op: 'fill', set, ...chunk }, transfer), signal);
    } catch (err) {
      await this.drop(set).catch(() => {});
      throw err;
    }
  }

  /** The k rows of held `set` most cosine-similar to its row `row` (which ranks first), best first. */
  async query(set: string, row: number, k: number): Promise<Scored[]> {
    return (await this.send({ id: this.nextId++, op: 'query', set, row, k })).best!;
  }

  /** Rows [start, start + n) of held `set`, [n, dim] row-major. */
  async read(set: string, start: number, n: number): Promise<Float32Array> {
    return (await this.send({ id: this.nextId++, op: 'read', set, start, n })).vectors!;
  }

  /** The thread lets `set` go; queries sent before this are still answered. */
  async drop(set: string): Promise<void> {
    await this.send({ id: this.nextId++, op: 'drop', set });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
