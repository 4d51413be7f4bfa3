import { z } from 'zod';
import { SvError } from '../errors.js';
import { Limit } from './parse.js';

/**
 * Cursor pagination, the same on both APIs (docs/api.md): a list takes `?cursor=&limit=` and
 * answers `{items, nextCursor}`; `nextCursor` is null on the last page. A cursor is opaque:
 * base64url of the JSON sort key of the last item returned.
 */
export const PAGE_QUERY = { cursor: z.string().optional(), limit: Limit };
export const PageQuery = z.strictObject(PAGE_QUERY);

/** The envelope of every list: `{items, nextCursor}`. */
export function Paged<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

const CURSOR_RE = /^[A-Za-z0-9_-]{1,512}$/;
/** A sort-key string (an id: ASCII, at most the 64 characters of the id columns). */
const KEY_ID_RE = /^[\x21-\x7e]{1,64}$/;

export type CursorShape = readonly ('int' | 'id')[];

/** The sort keys of each kind of page, in order (what a store puts in a cursor): a time or index, or an id. */
export const CURSOR = {
  byId: ['id'],
  byInt: ['int'],
  newestFirst: ['int', 'id'],
  deadLetters: ['int', 'id', 'id', 'int'],
} as const satisfies Record<string, CursorShape>;

export function encodeCursor(key: readonly (string | number)[] | null): string | null {
  return key === null ? null : Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * Decodes a cursor and checks it has the shape this page issues (`shape`): a forged one (text where
 * a time goes, non-ASCII ids, extra keys) is a 400 naming the cursor, never a query the store rejects.
 */
export function decodeCursor(cursor: string | undefined, shape: CursorShape): (string | number)[] | undefined {
  if (cursor === undefined) return undefined;
  const bad = () => new SvError('SV_ERR_VALIDATION', 'invalid query', ['query.cursor: not a cursor this API issued']);
  if (!CURSOR_RE.test(cursor)) throw bad();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const fits = (k: unknown, kind: 'int' | 'id') =>
    kind === 'int' ? Number.isSafeInteger(k) && (k as number) >= 0 : typeof k === 'string' && KEY_ID_RE.test(k);
  if (Array.isArray(key) && key.length === shape.length && key.every((k, i) => fits(k, shape[i] as 'int' | 'id'))) return key;
  throw bad();
}

/** A page of `limit` items from rows read with `limit + 1`: the cursor is the last item's key, null when no more. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (item: T) => (string | number)[]) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

/**
 * A page of an in-memory list sorted newest first by (time, id): the items after the cursor's key,
 * `limit` of them, and the next cursor.
 */
export function pageNewestFirst<T>(sorted: readonly T[], cursor: string | undefined, limit: number, keyOf: (item: T) => [number, string]) {
  const after = decodeCursor(cursor, CURSOR.newestFirst) as [number, string] | undefined;
  const rest = after
    ? sorted.filter((x) => {
        const [ts, id] = keyOf(x);
        return ts < after[0] || (ts === after[0] && id < after[1]);
      })
    : sorted;
  return pageOf(rest.slice(0, limit + 1), limit, keyOf);
}

/** Newest first by (time, id), the order every time-ordered list pages in. */
export function byNewest<T>(keyOf: (item: T) => [number, string]) {
  return (a: T, b: T) => {
    const [ta, ia] = keyOf(a);
    const [tb, ib] = keyOf(b);
    return tb - ta || (ib < ia ? -1 : ib > ia ? 1 : 0);
  };
}
