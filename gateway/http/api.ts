import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CookSpec } from '../../shared/cook.js';
import { SvError } from '../../shared/errors.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { formatIssues } from '../../shared/zod-issues.js';
import type { ControlLoop } from '../control-driver/control-loop.js';
import { NO_FORECAST } from '../control-driver/forecasts.js';
import type { StoreReader } from '../store/reader.js';

/**
 * The gateway's local API (operator token required): how a cook is watched and controlled with the
 * internet down. Routes throw SvError; the one error handler (shared/http/errors.ts) answers with
 * the same body as the cloud: {error: {code, message, details}}.
 */
export interface LocalApiDeps {
  loop: ControlLoop;
  store: Pick<StoreReader, 'history'>;
  deviceIds: () => string[];
  /** The operator-token hook (operator-auth.ts), shared by every /v1 route. */
  auth: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

const Page = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().min(0).optional(),
  device: DeviceId.optional(),
});

function idParam(req: FastifyRequest): string {
  const r = DeviceId.safeParse((req.params as { id?: string }).id);
  if (!r.success) throw new SvError('SV_ERR_VALIDATION', 'invalid device id', formatIssues(r.error, 'id'));
  return r.data;
}

export function localApi(http: FastifyInstance, d: LocalApiDeps): void {
  const auth = d.auth;
  const view = (id: string) => d.loop.view(id) ?? { deviceId: id, online: false, last: null, cook: null, ...NO_FORECAST };

  http.get('/v1/devices', { onRequest: auth }, async () => {
    const ids = new Set([...d.deviceIds(), ...d.loop.ids()]);
    return { items: [...ids].sort().map(view) };
  });
  http.get('/v1/devices/:id', { onRequest: auth }, async (req) => {
    const id = idParam(req);
    if (!d.deviceIds().includes(id) && d.loop.view(id) === null) throw new SvError('SV_ERR_NOT_FOUND', `no device ${id}`);
    return view(id);
  });
  http.put('/v1/devices/:id/cook', { onRequest: auth }, async (req) => {
    const id = idParam(req);
    const spec = CookSpec.safeParse(req.body);
    if (!spec.success) throw new SvError('SV_ERR_VALIDATION', 'invalid cook', formatIssues(spec.error, 'body'));
    if (!d.deviceIds().includes(id)) throw new SvError('SV_ERR_NOT_FOUND', `no device ${id}`);
    const r = d.loop.startCook(id, spec.data, { type: 'user', id: 'operator' });
    if (!r.ok) throw new SvError('SV_ERR_CONFLICT', r.reason, [`body: ${r.reason}`]);
    return { cook: r.cook };
  });
  http.delete('/v1/devices/:id/cook', { onRequest: auth }, async (req) => {
    const id = idParam(req);
    const r = d.loop.stopCook(id, { type: 'user', id: 'operator' });
    if (!r.ok) throw new SvError('SV_ERR_NOT_FOUND', r.reason);
    return { cook: r.cook };
  });
  for (const [path, table] of [
    ['/v1/events', 'events'],
    ['/v1/audit', 'audit'],
  ] as const) {
    http.get(path, { onRequest: auth }, async (req) => {
      const q = Page.safeParse(req.query);
      if (!q.success) throw new SvError('SV_ERR_VALIDATION', 'invalid query', formatIssues(q.error, 'query'));
      const items = d.store.history(table, q.data);
      const last = items[items.length - 1];
      return { items, next: items.length === q.data.limit && last ? { before: last.ts } : null };
    });
  }
}
