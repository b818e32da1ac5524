// Messages between the API's I/O thread and the neighbour-scan thread (src/serving/neighborsThread.ts).
import type { Scored } from './cosineTopK.ts';

export type ScanMessage =
  | { id: number; op: 'begin'; query: Float32Array; queryNorm: number; k: number; queryRow: number }
  | { id: number; op: 'chunk'; start: number; vectors: Float32Array }
  | { id: number; op: 'end' };

export type ScanReply = { id: number; ok: true; best?: Scored[] } | { id: number; ok: false; error: string };
