/** A [rows, dim] float32 matrix of values in [-1, 1) from a seeded linear congruential generator. */
export function seededMatrix(rows: number, dim: number, seed = 7): Float32Array {
  const out = new Float32Array(rows * dim);
  let s = seed;
  for (let i = 0; i < out.length; i++) out[i] = ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return out;
}
