// Keyset pagination over (createdAt desc, id desc): stable while rows are inserted, unlike offsets.
// A cursor is the opaque base64url of the last row's key on the previous page.
import { errors } from '../errors/catalogue.ts';

export interface PageKey {
  createdAt: Date;
  id: string;
}

export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.createdAt.toISOString(), key.id])).toString('base64url');
}

const invalidCursor = () => errors.INVALID_CURSOR();

/** An id as this API issues them: short, printable (a forged one must not reach the database). */
const isPlainId = (id: unknown): id is string => typeof id === 'string' && id.length > 0 && id.length <= 200 && !/[\u0000-\u001f]/.test(id);

function parseCursorJson(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
}

export function decodeCursor(cursor: string): PageKey {
  const value = parseCursorJson(cursor);
  const [createdAt, id] = Array.isArray(value) ? value : [];
  const date = typeof createdAt === 'string' ? new Date(createdAt) : undefined;
  // only what encodeCursor writes: a date that round-trips exactly (no far-out years PostgreSQL or
  // the client library would reject) and a plain id
  if (!date || Number.isNaN(date.getTime()) || date.toISOString() !== createdAt || !isPlainId(id)) throw invalidCursor();
  if (date.getUTCFullYear() < 2000 || date.getUTCFullYear() > 9999) throw invalidCursor();
  return { createdAt: date, id };
}

/** Cursors over id order alone: the last id, as opaque base64url. */
export const encodeIdCursor = (id: string) => Buffer.from(JSON.stringify(id)).toString('base64url');

export function decodeIdCursor(cursor: string): string {
  const id = parseCursorJson(cursor);
  if (!isPlainId(id)) throw invalidCursor();
  return id;
}

/** The Prisma `where` fragment selecting rows after `cursor` in (createdAt desc, id desc) order. */
export function afterCursor(cursor: string | undefined) {
  if (!cursor) return {};
  const key = decodeCursor(cursor);
  return { OR: [{ createdAt: { lt: key.createdAt } }, { createdAt: key.createdAt, id: { lt: key.id } }] };
}

export const PAGE_ORDER = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

/** Given up to limit+1 rows, returns the page and the cursor of the next one (null on the last). */
export function toPage<T extends PageKey>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!) : null };
}
