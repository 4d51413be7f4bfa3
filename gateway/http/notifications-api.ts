import type { Database } from 'better-sqlite3';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CURSOR, decodeCursor, PAGE_QUERY, pageOf } from '../../shared/api/cursor.js';
import { parse } from '../../shared/api/parse.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { deliveries } from '../notify/store.js';

/**
 * GET /v1/notifications: the last delivery attempts of notifications, one row per channel, newest
 * first, cursor-paged like every list (`{items, nextCursor}`, docs/api.md), filtered by device or state.
 */
export interface NotificationsApiDeps {
  reader: () => Database;
  channels: () => readonly string[];
  auth: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

const Page = z.strictObject({
  ...PAGE_QUERY,
  device: DeviceId.optional(),
  state: z.enum(['pending', 'sent', 'failed']).optional(),
});

export function notificationsApi(http: FastifyInstance, d: NotificationsApiDeps): void {
  http.get('/v1/notifications', { onRequest: d.auth }, async (req) => {
    const q = parse(Page, req.query, 'query');
    const before = decodeCursor(q.cursor, CURSOR.byInt)?.[0] as number | undefined;
    const rows = deliveries(d.reader(), { limit: q.limit + 1, before, device: q.device, state: q.state });
    return { channels: d.channels(), ...pageOf(rows, q.limit, (x) => [x.id]) };
  });
}
