// Body of the neighbour-scan thread. It holds hot sets (PackedRows, in the dot kernel's layout) for
// as long as the I/O thread says, and scores streamed scans of the others chunk by chunk, each
// chunk acknowledged so the I/O thread sends the next only when this thread is ready for it.
// Queries on held sets that arrive together are scored in one pass over the set; any other message
// first answers the queries before it, so messages take effect in the order they were sent.
import { parentPort } from 'node:worker_threads';
import { norm, safeNorm, TopK } from './cosineTopK.ts';
import { PackedRows } from './packedRows.ts';
import type { ScanMessage, ScanReply } from './neighborsProtocol.ts';

type QueryMessage = Extract<ScanMessage, { op: 'query' }>;

const port = parentPort!;
const held = new Map<string, PackedRows>();
const scans = new Map<number, { query: Float32Array; norm: number; top: TopK }>();
// one matrix per dimension to score streamed chunks in, reused (each chunk is scored within one message)
const scratch = new Map<number, PackedRows>();
let waiting: QueryMessage[] = [];

function scratchFor(rows: number, dim: number): PackedRows {
  let packed = scratch.get(dim);
  if (!packed || packed.capacity < rows) scratch.set(dim, (packed = new PackedRows(rows, dim)));
  return packed;
}

function heldSet(set: string): PackedRows {
  const packed = held.get(set);
  if (!packed) throw new Error(`set ${set} is not held`);
  return packed;
}

const failure = (id: number, err: unknown): ScanReply => ({ id, ok: false, error: (err as Error).message });

function answerQueries(): void {
  const queries = waiting;
  waiting = [];
  const bySet = new Map<string, QueryMessage[]>();
  for (const q of queries) {
    const group = bySet.get(q.set);
    if (group) group.push(q);
    else bySet.set(q.set, [q]);
  }
  for (const [set, group] of bySet) {
    try {
      const packed = heldSet(set);
      const batch = group.map((q) => ({ vector: packed.rows(q.row, 1), norm: packed.norm(q.row), top: new TopK(q.k, q.row) }));
      packed.score(batch, packed.capacity);
      group.forEach((q, i) => port.postMessage({ id: q.id, ok: true, best: batch[i].top.items } satisfies ScanReply));
    } catch (err) {
      for (const q of group) port.postMessage(failure(q.id, err));
    }
  }
}

function handle(message: Exclude<ScanMessage, QueryMessage>): ScanReply {
  switch (message.op) {
    case 'begin':
      scans.set(message.id, { query: message.query, norm: safeNorm(norm(message.query)), top: new TopK(message.k, message.queryRow) });
      return { id: message.id, ok: true };
    case 'chunk': {
      const scan = scans.get(message.id);
      if (!scan) throw new Error(`no scan ${message.id}`);
      const n = message.vectors.length / scan.query.length;
      const packed = scratchFor(n, scan.query.length);
      packed.set(0, message.vectors);
      packed.score([{ vector: scan.query, norm: scan.norm, top: scan.top }], n, message.start);
      return { id: message.id, ok: true };
    }
    case 'end': {
      const scan = scans.get(message.id);
      scans.delete(message.id);
      if (!scan) throw new Error(`no scan ${message.id}`);
      return { id: message.id, ok: true, best: scan.top.items };
    }
    case 'hold':
      held.set(message.set, new PackedRows(message.count, message.dim));
      return { id: message.id, ok: true };
    case 'fill':
      heldSet(message.set).set(message.start, message.vectors);
      return { id: message.id, ok: true };
    case 'read':
      return { id: message.id, ok: true, vectors: heldSet(message.set).rows(message.start, message.n) };
    case 'drop':
      held.delete(message.set);
      return { id: message.id, ok: true };
  }
}

port.on('message', (message: ScanMessage) => {
  if (message.op === 'query') {
    // answered once this turn's messages are in, together with the queries among them
    if (waiting.push(message) === 1) setImmediate(answerQueries);
    return;
  }
  if (waiting.length) answerQueries();
  try {
    const reply = handle(message);
    port.postMessage(reply, reply.ok && reply.vectors ? [reply.vectors.buffer as ArrayBuffer] : []);
  } catch (err) {
    if (message.op === 'begin' || message.op === 'chunk') scans.delete(message.id);
    port.postMessage(failure(message.id, err));
  }
});
