// Messages between the API's I/O thread and the neighbour-scan thread (src/serving/neighborsThread.ts).
// A streamed scan is begin, chunks, end. A held set is hold, fills, then any number of queries and
// reads, until drop. Each message gets one reply with its id.
import type { Scored } from './cosineTopK.ts';

export type ScanMessage =
  | { id: number; op: 'begin'; query: Float32Array; k: number; queryRow: number }
  | { id: number; op: 'chunk'; start: number; vectors: Float32Array }
  | { id: number; op: 'end' }
  | { id: number; op: 'hold'; set: string; count: number; dim: number }
  | { id: number; op: 'fill'; set: string; start: number; vectors: Float32Array }
  | { id: number; op: 'query'; set: string; row: number; k: number }
  | { id: number; op: 'read'; set: string; start: number; n: number }
  | { id: number; op: 'drop'; set: string };

export type ScanReply = { id: number; ok: true; best?: Scored[]; vectors?: Float32Array } | { id: number; ok: false; error: string };
