// Checkpoint codec: one self-describing byte string.
//   "SIMSIAM1" | uint32 LE header length | header JSON (utf-8) | zero padding to 4 bytes | float32 blobs
// The header carries arbitrary JSON metadata and, per tensor, its name, shape and blob offset.
// Raw float32 (little-endian, asserted below) round-trips bit for bit.

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface CheckpointContents<M> {
  meta: M;
  tensors: NamedArray[];
}

const MAGIC = 'SIMSIAM1';

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('checkpoint codec assumes a little-endian host');

interface Header<M> {
  meta: M;
  tensors: Array<{ name: string; shape: number[]; offset: number; length: number }>;
}

export function encodeCheckpoint<M>({ meta, tensors }: CheckpointContents<M>): Uint8Array {
  let offset = 0;
  const header: Header<M> = {
    meta,
    tensors: tensors.map((t) => {
      const entry = { name: t.name, shape: t.shape, offset, length: t.data.length };
      offset += t.data.length * 4;
      return entry;
    }),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const blobStart = Math.ceil((MAGIC.length + 4 + json.length) / 4) * 4;
  const out = new Uint8Array(blobStart + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length, true);
  out.set(json, MAGIC.length + 4);
  tensors.forEach((t, i) => out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), blobStart + header.tensors[i].offset));
  return out;
}

export function decodeCheckpoint<M>(bytes: Uint8Array): CheckpointContents<M> {
  if (new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) throw new Error('not a SimSiam checkpoint');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(MAGIC.length, true);
  const jsonStart = MAGIC.length + 4;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(jsonStart, jsonStart + jsonLength))) as Header<M>;
  const blobStart = Math.ceil((jsonStart + jsonLength) / 4) * 4;
  return {
    meta: header.meta,
    tensors: header.tensors.map((t) => {
      const start = blobStart + t.offset;
      if (start + t.length * 4 > bytes.length) throw new Error(`checkpoint truncated at tensor ${t.name}`);
      // copy (new Uint8Array(view) copies; Buffer#slice would not): the offset need not be 4-aligned
      const data = new Float32Array(new Uint8Array(bytes.subarray(start, start + t.length * 4)).buffer);
      return { name: t.name, shape: t.shape, data };
    }),
  };
}
