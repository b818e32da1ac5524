// NumPy .npy format, version 1.0, for little-endian float32 C-order matrices: the header alone (so a
// writer can stream rows after it and a reader can seek to row i), and a header parser.
// Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html

const MAGIC = Buffer.from([0x93, ...Buffer.from('NUMPY')]);
// magic (6) + version (2) + uint16 header length (2)
const PREAMBLE = 10;
const ALIGN = 64;

const FLOAT32 = '<f4';

/** The header of a `<f4` C-order array of `shape`; its length is a multiple of 64, as numpy writes it. */
export function npyHeader(shape: number[]): Buffer {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${FLOAT32}', 'fortran_order': False, 'shape': ${dims}, }`;
  const padded = dict.padEnd(Math.ceil((PREAMBLE + dict.length + 1) / ALIGN) * ALIGN - PREAMBLE - 1, ' ') + '\n';
  if (padded.length > 0xffff) throw new Error('npy v1.0 header too long');
  const out = Buffer.alloc(PREAMBLE + padded.length);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(padded.length, 8);
  out.write(padded, PREAMBLE, 'latin1');
  return out;
}

export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** byte offset of the first element */
  dataOffset: number;
}

/** Parses the header at the start of `bytes` (which needs to hold at least the whole header). */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < PREAMBLE || !buf.subarray(0, 6).equals(MAGIC)) throw new Error('not an .npy file');
  const major = buf[6];
  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = 8 + lengthBytes;
  if (buf.length < start + headerLength) throw new Error('truncated .npy header');
  const text = buf.toString('latin1', start, start + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (!descr || !fortran || shape === undefined) throw new Error(`unreadable .npy header: ${text}`);
  return {
    descr,
    fortranOrder: fortran === 'True',
    shape: shape.split(',').map((s) => s.trim()).filter(Boolean).map(Number),
    dataOffset: start + headerLength,
  };
}
