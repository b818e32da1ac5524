// Body of the neighbour-scan thread: scans arrive as begin, chunks of rows, end; each chunk is
// scored as it comes and acknowledged, so the I/O thread sends the next one only when this thread
// is ready for it. Several scans may interleave.
import { parentPort } from 'node:worker_threads';
import { scoreRows, TopK } from './cosineTopK.ts';
import type { ScanMessage, ScanReply } from './neighborsProtocol.ts';

const scans = new Map<number, { query: Float32Array; queryNorm: number; top: TopK }>();
const port = parentPort!;

function handle(message: ScanMessage): ScanReply {
  switch (message.op) {
    case 'begin':
      scans.set(message.id, { query: message.query, queryNorm: message.queryNorm, top: new TopK(message.k, message.queryRow) });
      return { id: message.id, ok: true };
    case 'chunk': {
      const scan = scans.get(message.id);
      if (!scan) throw new Error(`no scan ${message.id}`);
      scoreRows(scan.query, scan.queryNorm, message.vectors, message.start, scan.top);
      return { id: message.id, ok: true };
    }
    case 'end': {
      const scan = scans.get(message.id);
      scans.delete(message.id);
      if (!scan) throw new Error(`no scan ${message.id}`);
      return { id: message.id, ok: true, best: scan.top.items };
    }
  }
}

port.on('message', (message: ScanMessage) => {
  try {
    port.postMessage(handle(message));
  } catch (err) {
    scans.delete(message.id);
    port.postMessage({ id: message.id, ok: false, error: (err as Error).message } satisfies ScanReply);
  }
});
