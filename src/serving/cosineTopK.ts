// The ranking side of a cosine-neighbour scan, kept apart from threads, memory layout and I/O so it
// can be tested alone: a top-k list and the norm that scores are divided by.

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

  private better(row: number, similarity: number, than: Scored): boolean {
    return row === this.queryRow || (than.row !== this.queryRow && (similarity > than.similarity || (similarity === than.similarity && row < than.row)));
  }

  offer(row: number, similarity: number): void {
    const { items, k } = this;
    // most rows of a scan stop here, before anything is allocated
    if (items.length === k && !this.better(row, similarity, items[k - 1])) return;
    // k is small: insertion beats a heap
    let at = items.length;
    while (at > 0 && this.better(row, similarity, items[at - 1])) at--;
    items.splice(at, 0, { row, similarity });
    if (items.length > k) items.pop();
  }
}

export function norm(v: Float32Array): number {
  let s = 0;
  for (let j = 0; j < v.length; j++) s += v[j] * v[j];
  return Math.sqrt(s);
}

/** What a row's or the query's norm is clamped to, so a zero vector scores 0 instead of NaN. */
export const safeNorm = (n: number) => Math.max(n, 1e-12);
