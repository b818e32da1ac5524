// A set's rows.json in memory: each row's image id and label, the row of each image id, and where
// each row's line starts (what the JSON pages' cursors carry). Read once, with one GET.
import type { BlobStore } from '../storage/s3.ts';
import { readRows, type Row } from './rowsFile.ts';
import { START, type RowPosition, type StoredSet } from './embeddingReader.ts';

// an estimate of what V8 spends per row beyond the strings' characters: two array slots, the map
// entry, string headers, the offset
const ROW_OVERHEAD_BYTES = 128;

export class RowIndex {
  private readonly imageIds: string[] = [];
  private readonly labels: Array<string | null> = [];
  private readonly rowOf = new Map<string, number>();
  /** offsets[i]: where row i's line starts; offsets[count]: the closing line */
  private readonly offsets: number[] = [];
  /** an estimate of the memory this index holds */
  bytes = 0;

  /** What an index of `count` rows holds at the least (ids and labels of no characters). */
  static leastBytes(count: number): number {
    return count * ROW_OVERHEAD_BYTES;
  }

  static async read(blobs: BlobStore, set: StoredSet): Promise<RowIndex> {
    const index = new RowIndex();
    index.offsets.push(START.offset);
    for await (const r of readRows(await blobs.getRange(set.rowsKey, START.offset), START.row, START.offset)) {
      index.imageIds.push(r.imageId);
      index.labels.push(r.label);
      // an image id listed twice answers its first row, as a scan of the file would
      if (!index.rowOf.has(r.imageId)) index.rowOf.set(r.imageId, r.row);
      index.offsets.push(r.nextOffset);
      index.bytes += ROW_OVERHEAD_BYTES + r.imageId.length + (r.label?.length ?? 0);
    }
    if (index.imageIds.length !== set.count) throw new Error(`${set.rowsKey} lists ${index.imageIds.length} rows, the set has ${set.count}`);
    return index;
  }

  get count(): number {
    return this.imageIds.length;
  }

  rowOfImage(imageId: string): number | undefined {
    return this.rowOf.get(imageId);
  }

  at(row: number): Row {
    return { imageId: this.imageIds[row], label: this.labels[row] };
  }

  /** Whether `position` is where a row starts (a cursor this API issued), or the end. */
  holds(position: RowPosition): boolean {
    return position.row <= this.count && this.offsets[position.row] === position.offset;
  }

  /** The position of row `row` (row = count: the end). */
  position(row: number): RowPosition {
    return { row, offset: this.offsets[row] };
  }
}
