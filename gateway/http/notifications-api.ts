import type { Database } from 'better-sqlite3';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SvError } from '../../shared/errors.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { formatIssues } from '../../shared/zod-issues.js';
import { deliveries } from '../notify/store.js';

/**
 * GET /v1/notifications: the last delivery attempts of notifications, one row per channel, newest
 * first with an id cursor (`next.before`), filtered by device or state.
 */
export interface NotificationsApiDeps {
  reader: () => Database;
  channels: () => readonly string[];
  auth: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

const Page = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().min(1).optional(),
  device: DeviceId.optional(),
  state: z.enum(['pending', 'sent', 'failed']).optional(),
});

export function notificationsApi(http: FastifyInstance, d: NotificationsApiDeps): void {
  http.get('/v1/notifications', { onRequest: d.auth }, async (req) => {
    const r = Page.safeParse(req.query);
    if (!r.success) throw new SvError('SV_ERR_VALIDATION', 'invalid query', formatIssues(r.error, 'query'));
    const q = r.data;
    const items = deliveries(d.reader(), q);
    const last = items[items.length - 1];
    return { channels: d.channels(), items, next: items.length === q.limit && last ? { before: last.id } : null };
  });
}
