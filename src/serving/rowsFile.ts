// The row order of an embedding set (rows.json next to vectors.npy): a JSON array with one row per
// line, so users json.load() it and the API reads any row range by streaming lines from a byte offset
// (memory stays flat for any N). Line 0 is "[", row i is line i+1 ("{...}" for the first row, ",{...}"
// after), the last line is "]".
import type { Readable } from 'node:stream';

export interface Row {
  imageId: string;
  label: string | null;
}

export const ROWS_CONTENT_TYPE = 'application/json';
export const rowsOpening = '[\n';
export const rowsClosing = ']\n';
/** Byte offset of row 0. */
export const FIRST_ROW_OFFSET = Buffer.byteLength(rowsOpening);

export function rowLine(row: Row, index: number): string {
  return `${index === 0 ? '' : ','}${JSON.stringify({ imageId: row.imageId, label: row.label })}\n`;
}

export interface PositionedRow extends Row {
  row: number;
  /** byte offset of the line after this row's: where a reader resumes */
  nextOffset: number;
}

/**
 * Rows from a stream that starts at byte `offset` of the file, which is the start of row `row`.
 * Stops at the closing "]"; the caller may stop early (the stream is then destroyed).
 */
export async function* readRows(stream: Readable, row: number, offset: number): AsyncGenerator<PositionedRow> {
  let pending: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
      let newline: number;
      while ((newline = pending.indexOf(0x0a)) >= 0) {
        const line = pending.toString('utf8', 0, newline);
        offset += newline + 1;
        pending = pending.subarray(newline + 1);
        if (line === ']') return;
        const parsed = JSON.parse(line.startsWith(',') ? line.slice(1) : line) as Row;
        yield { imageId: parsed.imageId, label: parsed.label, row: row++, nextOffset: offset };
      }
    }
  } finally {
    stream.destroy();
  }
}
