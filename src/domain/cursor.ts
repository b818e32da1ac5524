// Keyset pagination over (createdAt desc, id desc): stable while rows are inserted, unlike offsets.
// A cursor is the opaque base64url of the last row's key on the previous page.
import { badRequest } from './errors.ts';

export interface PageKey {
  createdAt: Date;
  id: string;
}

export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.createdAt.toISOString(), key.id])).toString('base64url');
}

export function decodeCursor(cursor: string): PageKey {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const date = new Date(createdAt as string);
    if (typeof createdAt === 'string' && typeof id === 'string' && !Number.isNaN(date.getTime())) {
      return { createdAt: date, id };
    }
  } catch {
    // fall through: any undecodable cursor is the client's error
  }
  throw badRequest('INVALID_CURSOR', 'cursor is not one this API returned');
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
