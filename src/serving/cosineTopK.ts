// The arithmetic of a cosine-neighbour scan, kept apart from threads and I/O so it can be tested
// alone: a top-k list and a blocked scoring pass over a chunk of rows.

export interface Scored {
  row: number;
  similarity: number;
}

/** The k best rows seen so far, best first. Row `queryRow` ranks first whatever rounding says. */
export class TopK {
  readonly items: Scored[] = [];

  constructor(
    private readonly k: number,
    private readonly queryRow: number,
  ) {}

  private better(a: Scored, b: Scored): boolean {
    return a.row === this.queryRow || (b.row !== this.queryRow && (a.similarity > b.similarity || (a.similarity === b.similarity && a.row < b.row)));
  }

  offer(row: number, similarity: number): void {
    const { items, k } = this;
    const candidate = { row, similarity };
    if (items.length === k && !this.better(candidate, items[k - 1])) return;
    // k is small: insertion beats a heap
    let at = items.length;
    while (at > 0 && this.better(candidate, items[at - 1])) at--;
    items.splice(at, 0, candidate);
    if (items.length > k) items.pop();
  }
}

export function norm(v: Float32Array): number {
  let s = 0;
  for (let j = 0; j < v.length; j++) s += v[j] * v[j];
  return Math.sqrt(s);
}

const cosine = (dot: number, squaredNorm: number, queryNorm: number) => dot / (Math.max(Math.sqrt(squaredNorm), 1e-12) * queryNorm);

/**
 * Offers every row of `vectors` ([n, dim] row-major, rows `start`...) to `top`, scored by cosine
 * similarity with `query`. Rows go four at a time: each query element loaded once feeds four dot
 * products and four norms. Each row's sums run in index order, as a row-at-a-time loop would.
 */
export function scoreRows(query: Float32Array, queryNorm: number, vectors: Float32Array, start: number, top: TopK): void {
  const dim = query.length;
  const n = vectors.length / dim;
  const safeQueryNorm = Math.max(queryNorm, 1e-12);
  let r = 0;
  for (; r + 4 <= n; r += 4) {
    const b0 = r * dim;
    const b1 = b0 + dim;
    const b2 = b1 + dim;
    const b3 = b2 + dim;
    let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
    let n0 = 0, n1 = 0, n2 = 0, n3 = 0;
    for (let j = 0; j < dim; j++) {
      const q = query[j];
      const v0 = vectors[b0 + j], v1 = vectors[b1 + j], v2 = vectors[b2 + j], v3 = vectors[b3 + j];
      d0 += v0 * q; d1 += v1 * q; d2 += v2 * q; d3 += v3 * q;
      n0 += v0 * v0; n1 += v1 * v1; n2 += v2 * v2; n3 += v3 * v3;
    }
    top.offer(start + r, cosine(d0, n0, safeQueryNorm));
    top.offer(start + r + 1, cosine(d1, n1, safeQueryNorm));
    top.offer(start + r + 2, cosine(d2, n2, safeQueryNorm));
    top.offer(start + r + 3, cosine(d3, n3, safeQueryNorm));
  }
  for (; r < n; r++) {
    const base = r * dim;
    let d = 0, s = 0;
    for (let j = 0; j < dim; j++) {
      const v = vectors[base + j];
      d += v * query[j];
      s += v * v;
    }
    top.offer(start + r, cosine(d, s, safeQueryNorm));
  }
}
