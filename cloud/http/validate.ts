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

/** Opaque cursors: base64url of the JSON sort key of the last item returned. */
export function encodeCursor(key: readonly (string | number)[] | null): string | null {
  return key === null ? null : Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): (string | number)[] | undefined {
  if (cursor === undefined) return undefined;
  const bad = () => new SvError('SV_ERR_VALIDATION', 'invalid query', ['query.cursor: not a cursor this API issued']);
  if (!CURSOR_RE.test(cursor)) throw bad();
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length <= 4 && key.every((k) => typeof k === 'string' || typeof k === 'number')) return key;
  } catch {}
  throw bad();
}

export const Limit = z.coerce.number().int().min(1).max(500).default(100);
/** Query-string epoch milliseconds. */
export const QueryMs = z.coerce.number().int().min(0).max(8_640_000_000_000_000);
