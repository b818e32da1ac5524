// The safetensors file format (huggingface/safetensors): an 8-byte little-endian header length, a
// JSON header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__: {string: string}},
// then the raw little-endian tensor bytes, contiguous and without holes. Written here because no
// maintained npm package writes it; the format is small.
export type SafetensorsDtype = 'F32' | 'I64';

export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** little-endian bytes, length = product(shape) * dtype size */
  data: Uint8Array;
}

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, I64: 8 };

export function encodeSafetensors(tensors: SafetensorsTensor[], metadata: Record<string, string> = {}): Uint8Array {
  // widest dtype first: with an 8-byte-aligned header every tensor starts aligned to its element size
  const ordered = [...tensors].sort((a, b) => DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype]);
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of ordered) {
    const expected = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== expected) throw new Error(`${t.name}: ${t.data.byteLength} bytes, shape [${t.shape}] ${t.dtype} needs ${expected}`);
    if (t.name in header) throw new Error(`duplicate tensor name ${t.name}`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + expected] };
    offset += expected;
  }
  let json = JSON.stringify(header);
  // the format allows trailing spaces in the header; they align the data to 8 bytes
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const t of ordered) {
    out.set(t.data, at);
    at += t.data.byteLength;
  }
  return out;
}
