import { z } from 'zod';
import { SvError } from '../errors.js';
import { formatIssues } from '../zod-issues.js';

/**
 * Request parsing for both HTTP APIs (docs/api.md): zod validates inside the handler, a failure is
 * a 400 naming each field (`query.limit: …`, `params.id: …`, `body.targetC: …`).
 */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query' | 'params'): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new SvError('SV_ERR_VALIDATION', `invalid ${where}`, formatIssues(result.error, where));
}

/**
 * The JSON Schema of a zod schema for a route: `input` for the OpenAPI document of a request part
 * (zod does the validating), `output` for a response (Fastify serializes with it).
 */
export function doc(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0' }) as Record<
    string,
    unknown
  >;
  return withoutPropertyNames(rest) as Record<string, unknown>;
}

/** OpenAPI 3.0 has no `propertyNames` (zod writes it for a record's string keys): any key is a string anyway. */
function withoutPropertyNames(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutPropertyNames);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (k === 'propertyNames' ? [] : [[k, withoutPropertyNames(x)]])));
}

/**
 * A query-string integer: digits only. z.coerce alone reads an empty value (`?from=`) as 0 and
 * "1e3" or " 7" as numbers; a bad value must be an error naming the field instead, and a
 * parameter given twice (`?from=1&from=2`, which arrives as a list) says so.
 */
const queryInt = () =>
  z
    .string({ error: (issue) => (Array.isArray(issue.input) ? 'given more than once' : 'must be a non-negative integer') })
    .regex(/^\d{1,16}$/, 'must be a non-negative integer')
    .transform(Number);

/** `limit`: items per page, 1–500, default 100. */
export const Limit = queryInt().pipe(z.number().int().min(1).max(500)).default(100);
/** Query-string epoch milliseconds. */
export const QueryMs = queryInt().pipe(z.number().int().min(0).max(8_640_000_000_000_000));

/**
 * The `response` part of a route schema: the success body (serialized with it, so nothing outside
 * the shared shape leaks) and the one error body for every 4xx.
 */
export function responses(ok: z.ZodType, status = 200): Record<string, Record<string, unknown>> {
  return { [status]: doc(ok, 'output'), '4XX': doc(ErrorBodySchema, 'output') };
}

const ErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.array(z.string()) }),
});

/**
 * For a route that takes no body (a DELETE, or a POST that acts on its path alone): no body, or
 * `{}`, passes; anything else is the usual 400 naming each field, and the route does nothing. A
 * filter or an option put in the body would otherwise be ignored while the route acts on
 * everything (`{"device":"kit-9"}` purging every dead letter). `hint` says where such a field goes.
 */
export function noBody(body: unknown, hint = 'this request takes no body'): void {
  if (body === undefined) return;
  const object = typeof body === 'object' && body !== null && !Array.isArray(body);
  if (object && Object.keys(body).length === 0) return;
  const details = object ? Object.keys(body).map((k) => `body.${k}: unknown field (${hint})`) : [`body: must be empty (${hint})`];
  throw new SvError('SV_ERR_VALIDATION', 'invalid body', details);
}
