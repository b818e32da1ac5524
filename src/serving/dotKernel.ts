// A wasm SIMD kernel for the neighbour scan: dot products of float32 rows with float64 queries.
// Each row's sum runs in float64, element by element in index order, with a separate multiply and
// add: exactly the sums of the scalar JavaScript loop it replaces, so rankings and similarities do
// not move by a bit. The speed comes from the lanes: rows are stored interleaved in blocks of eight
// (row r, element j at ((r >> 3) * dim + j) * 8 + (r & 7)), so one pass over the query feeds eight
// rows, two per f64x2 vector. No compiler is needed: the module is assembled below from the
// instruction list, with the text format beside it.

/** Rows per interleaved block. */
export const BLOCK_ROWS = 8;

/** The kernel's entry: see `dotsBody`. All arguments are byte offsets or counts. */
export type DotsFunction = (rows: number, blocks: number, dim: number, queries: number, queryCount: number, out: number, outStride: number) => void;

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
};
// non-negative constants only, below 2^31
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if (n === 0 && !(byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => vec([...Buffer.from(s)].map((b) => [b]));

const I32 = 0x7f;
const V128 = 0x7b;
const EMPTY = 0x40;

const get = (local: number) => [0x20, ...uleb(local)];
const set = (local: number) => [0x21, ...uleb(local)];
const i32 = (n: number) => [0x41, ...sleb(n)];
const [block, loop, end] = [[0x02, EMPTY], [0x03, EMPTY], [0x0b]];
const br = (depth: number) => [0x0c, ...uleb(depth)];
const brIf = (depth: number) => [0x0d, ...uleb(depth)];
const [i32Eqz, i32GeU, i32Add, i32Sub, i32Mul, i32Shl] = [[0x45], [0x4f], [0x6a], [0x6b], [0x6c], [0x74]];
const simd = (opcode: number, ...immediates: number[]) => [0xfd, ...uleb(opcode), ...immediates];
const memarg = (alignLog2: number, offset: number) => [...uleb(alignLog2), ...uleb(offset)];
const v128Load64Splat = simd(0x0a, ...memarg(3, 0));
const v128Load64Zero = (offset: number) => simd(0x5d, ...memarg(3, offset));
const v128Store = (offset: number) => simd(0x0b, ...memarg(4, offset));
const v128Zero = simd(0x0c, ...new Array(16).fill(0));
const f64x2PromoteLow = simd(0x5f);
const f64x2Add = simd(0xf0);
const f64x2Mul = simd(0xf2);

// locals: the parameters, then the loop state, then five vectors
const [ROWS, BLOCKS, DIM, QUERIES, QUERY_COUNT, OUT, OUT_STRIDE] = [0, 1, 2, 3, 4, 5, 6];
const [QI, B, J, P, QP, O] = [7, 8, 9, 10, 11, 12];
const ACC = [13, 14, 15, 16];
const QV = 17;

/**
 * for qi < queryCount:                      query qi at queries + qi*dim*8 (float64), its output at out + qi*outStride
 *   p = rows; o = out + qi*outStride
 *   for b < blocks:
 *     acc0..3 = 0; qp = queries + qi*dim*8
 *     for j = dim; j; j--:                  qv = f64x2.splat(query[j]); p walks the block's elements
 *       acc_k = acc_k + promote_low(load64_zero(p + 8k)) * qv      rows 2k, 2k+1 of the block
 *       p += 32; qp += 8
 *     store acc0..3 at o, o+16, o+32, o+48 (float64 dots of the block's eight rows); o += 64
 */
function dotsBody(): number[] {
  const accumulate = ACC.flatMap((acc, k) => [...get(acc), ...get(P), ...v128Load64Zero(8 * k), ...f64x2PromoteLow, ...get(QV), ...f64x2Mul, ...f64x2Add, ...set(acc)]);
  const increment = (local: number, by: number) => [...get(local), ...i32(by), ...i32Add, ...set(local)];
  const elements = [
    ...block, ...loop, // depth 0: this loop, 1: its exit
    ...get(J), ...i32Eqz, ...brIf(1),
    ...get(QP), ...v128Load64Splat, ...set(QV),
    ...accumulate,
    ...increment(P, 32), ...increment(QP, 8),
    ...get(J), ...i32(1), ...i32Sub, ...set(J),
    ...br(0),
    ...end, ...end,
  ];
  const blocks = [
    ...block, ...loop,
    ...get(B), ...get(BLOCKS), ...i32GeU, ...brIf(1),
    ...ACC.flatMap((acc) => [...v128Zero, ...set(acc)]),
    ...get(QUERIES), ...get(QI), ...get(DIM), ...i32Mul, ...i32(3), ...i32Shl, ...i32Add, ...set(QP),
    ...get(DIM), ...set(J),
    ...elements,
    ...ACC.flatMap((acc, k) => [...get(O), ...get(acc), ...v128Store(16 * k)]),
    ...increment(O, 64), ...increment(B, 1),
    ...br(0),
    ...end, ...end,
  ];
  const queries = [
    ...block, ...loop,
    ...get(QI), ...get(QUERY_COUNT), ...i32GeU, ...brIf(1),
    ...get(ROWS), ...set(P),
    ...get(OUT), ...get(QI), ...get(OUT_STRIDE), ...i32Mul, ...i32Add, ...set(O),
    ...i32(0), ...set(B),
    ...blocks,
    ...increment(QI, 1),
    ...br(0),
    ...end, ...end,
  ];
  const locals = vec([[6, I32], [ACC.length + 1, V128]].map(([n, type]) => [...uleb(n), type]));
  return [...locals, ...queries, ...end];
}

function dotsModule(): Uint8Array<ArrayBuffer> {
  const type = [0x60, ...vec(new Array(7).fill([I32])), ...vec([])];
  const memoryImport = [...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)];
  const body = dotsBody();
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([type])),
    ...section(2, vec([memoryImport])),
    ...section(3, vec([uleb(0)])),
    ...section(7, vec([[...name('dots'), 0x00, ...uleb(0)]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

const compiled = new WebAssembly.Module(dotsModule());

/** The kernel bound to `memory`, which holds its rows, queries and output. */
export function dotsOn(memory: WebAssembly.Memory): DotsFunction {
  return new WebAssembly.Instance(compiled, { env: { memory } }).exports.dots as DotsFunction;
}
