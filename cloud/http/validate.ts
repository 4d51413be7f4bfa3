import { z } from 'zod';
import { SvError } from '../../shared/errors.js';
import { formatIssues } from '../../shared/zod-issues.js';

/** Parses a request part with zod; a failure is a 400 that names each field (`query.limit: …`). */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query' | 'params'): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new SvError('SV_ERR_VALIDATION', `invalid ${where}`, formatIssues(result.error, where));
}

/** The JSON Schema of a zod schema, for the OpenAPI document only (zod does the validating). */
export function doc(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const CURSOR_RE = /^[A-Za-z0-9_-]{1,512}$/;
/** A sort-key string (an id: ASCII, at most the 64 characters of the id columns). */
const KEY_ID_RE = /^[\x21-\x7e]{1,64}$/;

/** The sort keys of each kind of page, in order (what the meta store puts in a cursor): a time or index, or an id. */
export const CURSOR = {
  byId: ['id'],
  newestFirst: ['int', 'id'],
  deadLetters: ['int', 'id', 'id', 'int'],
} as const satisfies Record<string, readonly ('int' | 'id')[]>;

/** Opaque cursors: base64url of the JSON sort key of the last item returned. */
export function encodeCursor(key: readonly (string | number)[] | null): string | null {
  return key === null ? null : Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * Decodes a cursor and checks it has the shape this page issues (`shape`): a forged one (text where
 * a time goes, non-ASCII ids, extra keys) is a 400 naming the cursor, never a query the store rejects.
 */
export function decodeCursor(cursor: string | undefined, shape: readonly ('int' | 'id')[]): (string | number)[] | undefined {
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

/**
 * A query-string integer: digits only. z.coerce alone reads an empty value (`?from=`) as 0 and
 * "1e3" or " 7" as numbers; a bad value must be an error naming the field instead.
 */
const queryInt = () =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'must be a non-negative integer')
    .transform(Number);

export const Limit = queryInt().pipe(z.number().int().min(1).max(500)).default(100);
/** Query-string epoch milliseconds. */
export const QueryMs = queryInt().pipe(z.number().int().min(0).max(8_640_000_000_000_000));
