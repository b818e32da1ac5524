// Fixed 2-D sin-cos position embeddings as MoCo v3 builds them (vits.py,
// build_2d_sincos_position_embedding, temperature 1e4): a quarter of the channels each for sin and cos
// of the patch row and of the patch column, and zeros for the class token. tfjs-free (the export
// writes the same values into the layers model).
const cache = new Map<string, Float32Array>();

/** [(1 + rows * cols) * dim] row-major: the class token's row, then the patches row by row. */
export function sincosPositionEmbedding(rows: number, cols: number, dim: number): Float32Array {
  if (dim % 4) throw new Error(`sin-cos position embeddings need a width divisible by 4, not ${dim}`);
  const key = `${rows}x${cols}x${dim}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const quarter = dim / 4;
  const out = new Float32Array((1 + rows * cols) * dim);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const base = (1 + r * cols + c) * dim;
      for (let k = 0; k < quarter; k++) {
        const omega = 1 / 10000 ** (k / quarter);
        out[base + k] = Math.sin(r * omega);
        out[base + quarter + k] = Math.cos(r * omega);
        out[base + 2 * quarter + k] = Math.sin(c * omega);
        out[base + 3 * quarter + k] = Math.cos(c * omega);
      }
    }
  }
  cache.set(key, out);
  return out;
}
