import type { Database } from 'better-sqlite3';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CookSpec } from '../../shared/cook.js';
import { ERROR_CODES, type ErrorCode } from '../../shared/errors.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { formatIssues } from '../../shared/zod-issues.js';
import type { ControlLoop } from '../runtime/control-loop.js';
import { NO_FORECAST } from '../runtime/forecasts.js';
import { checkOperatorToken } from './operator-token.js';

/**
 * The gateway's local API (operator token required): how a cook is watched and controlled with the
 * internet down. Same error body as the cloud: {error: {code, message, details}}.
 */
export interface LocalApiDeps {
  loop: ControlLoop;
  reader: () => Database;
  deviceIds: () => string[];
  tokenFile: string;
}

const Page = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().min(0).optional(),
  device: DeviceId.optional(),
});

function fail(reply: FastifyReply, code: ErrorCode, message: string, details: string[] = []) {
  return reply.code(ERROR_CODES[code].http).send({ error: { code, message, details } });
}

export function localApi(http: FastifyInstance, d: LocalApiDeps): void {
  const auth = async (req: FastifyRequest, reply: FastifyReply) => {
    const h = req.headers.authorization;
    const token = h?.startsWith('Bearer ') ? h.slice(7) : undefined;
    if (!checkOperatorToken(d.tokenFile, token))
      return fail(reply, 'SV_ERR_UNAUTHORIZED', 'operator token required (Authorization: Bearer …)');
  };
  const idParam = (req: FastifyRequest, reply: FastifyReply): string | undefined => {
    const r = DeviceId.safeParse((req.params as { id?: string }).id);
    if (!r.success) {
      fail(reply, 'SV_ERR_VALIDATION', 'invalid device id', formatIssues(r.error, 'id'));
      return undefined;
    }
    return r.data;
  };
  const view = (id: string) => d.loop.view(id) ?? { deviceId: id, online: false, last: null, cook: null, ...NO_FORECAST };

  http.get('/v1/devices', { onRequest: auth }, async () => {
    const ids = new Set([...d.deviceIds(), ...d.loop.ids()]);
    return { items: [...ids].sort().map(view) };
  });
  http.get('/v1/devices/:id', { onRequest: auth }, async (req, reply) => {
    const id = idParam(req, reply);
    if (id === undefined) return reply;
    if (!d.deviceIds().includes(id) && d.loop.view(id) === null) return fail(reply, 'SV_ERR_NOT_FOUND', `no device ${id}`);
    return view(id);
  });
  http.put('/v1/devices/:id/cook', { onRequest: auth }, async (req, reply) => {
    const id = idParam(req, reply);
    if (id === undefined) return reply;
    const spec = CookSpec.safeParse(req.body);
    if (!spec.success) return fail(reply, 'SV_ERR_VALIDATION', 'invalid cook', formatIssues(spec.error, 'body'));
    if (!d.deviceIds().includes(id)) return fail(reply, 'SV_ERR_NOT_FOUND', `no device ${id}`);
    const r = d.loop.startCook(id, spec.data, { type: 'user', id: 'operator' });
    if (!r.ok) return fail(reply, 'SV_ERR_CONFLICT', r.reason, [`body: ${r.reason}`]);
    return { cook: r.cook };
  });
  http.delete('/v1/devices/:id/cook', { onRequest: auth }, async (req, reply) => {
    const id = idParam(req, reply);
    if (id === undefined) return reply;
    const r = d.loop.stopCook(id, { type: 'user', id: 'operator' });
    if (!r.ok) return fail(reply, 'SV_ERR_NOT_FOUND', r.reason);
    return { cook: r.cook };
  });
  for (const [path, table] of [
    ['/v1/events', 'events'],
    ['/v1/audit', 'audit'],
  ] as const) {
    http.get(path, { onRequest: auth }, async (req, reply) => {
      const q = Page.safeParse(req.query);
      if (!q.success) return fail(reply, 'SV_ERR_VALIDATION', 'invalid query', formatIssues(q.error, 'query'));
      const where = [q.data.before !== undefined ? 'ts < @before' : null, q.data.device ? 'device_id = @device' : null].filter(Boolean);
      const rows = d
        .reader()
        .prepare(`SELECT * FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT @limit`)
        .all({ limit: q.data.limit, before: q.data.before, device: q.data.device }) as { ts: number; data: string }[];
      const items = rows.map((r) => ({ ...r, data: JSON.parse(r.data) as unknown }));
      const last = rows[rows.length - 1];
      return { items, next: rows.length === q.data.limit && last ? { before: last.ts } : null };
    });
  }
}
