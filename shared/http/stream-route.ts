import { fastifySSE } from '@fastify/sse';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { doc, parse } from '../api/parse.js';
import { StreamQuery } from '../api/routes.js';
import { SvError } from '../errors.js';
import type { StreamHub } from '../stream/hub.js';

export interface StreamRouteOptions {
  hub: StreamHub;
  heartbeatMs: number;
  /** The route's auth hook(s) (the gateway's operator token; the cloud's viewer role). */
  onRequest: onRequestHookHandler | onRequestHookHandler[] | unknown;
  /** Which scope's messages the caller may see (after auth), and, for a gateway-limited key, its gateway. */
  scope: (req: FastifyRequest) => { scope: string; gatewayId?: string | null };
  /** Extra route options (the cloud's OpenAPI security, rate limit). */
  schema?: Record<string, unknown>;
  /**
   * Asked every `recheckMs` while a stream is open: false (or an error) ends it. The cloud checks
   * that the key is not revoked and the session's user not removed since the stream opened.
   */
  stillAllowed?: (req: FastifyRequest) => Promise<boolean>;
  recheckMs?: number;
}

export const STREAM_DESCRIPTION =
  'Server-sent events: `reading` (at most one per kit per stream.readingIntervalMs), `state`, `event`, `alarm`; each has an id. ' +
  'With `?devices=a,b` only messages about those kits (and about no kit); without it every kit, and readings are held to ' +
  'stream.fleetReadingBytesPerSec per stream (latest reading per kit, kits in turn; state, events and alarms always pass). ' +
  'Send Last-Event-ID to resume: missed messages are replayed, or a `reset` event says to refetch. `ready` follows any replay ' +
  '(its data: `ts` and `heartbeatMs`); comment lines are heartbeats, every `heartbeatMs`. A client that falls too far behind is disconnected and resumes.';

/**
 * GET /v1/stream on either server, through the official @fastify/sse plugin (headers, heartbeat,
 * Last-Event-ID, close). Messages are written pre-framed by the hub (one text per message, shared
 * by every stream) straight to the socket; the hub drops a stream whose socket falls behind.
 */
export function streamRoute(http: FastifyInstance, o: StreamRouteOptions): void {
  http.addHook('preClose', async () => o.hub.close());
  // Its own context: the plugin's onRoute hook touches this route only.
  http.register(async (app) => {
    await app.register(fastifySSE, { heartbeatInterval: o.heartbeatMs });
    app.get(
      '/v1/stream',
      {
        onRequest: o.onRequest as onRequestHookHandler,
        sse: { kind: 'manual' },
        schema: {
          summary: 'Live updates (server-sent events)',
          description: STREAM_DESCRIPTION,
          tags: ['stream'],
          headers: {
            type: 'object',
            properties: { 'last-event-id': { type: 'string', description: 'The id of the last message received, to resume' } },
          },
          querystring: doc(StreamQuery),
          response: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
          ...o.schema,
        },
      },
      async (req: FastifyRequest, reply: FastifyReply) => {
        const { devices } = parse(StreamQuery, req.query, 'query');
        const { scope, gatewayId } = o.scope(req);
        const refused = o.hub.refusal(scope);
        if (refused) throw new SvError('SV_ERR_RATE_LIMITED', 'too many open streams; retry later', [refused]);
        const ctx = reply.sse;
        ctx.keepAlive();
        ctx.sendHeaders(200);
        const raw = reply.raw;
        raw.socket?.setNoDelay(true);
        const detach = o.hub.attach(
          scope,
          {
            write: (chunk) => {
              if (!raw.destroyed) raw.write(chunk);
            },
            buffered: () => raw.writableLength,
            close: () => raw.destroy(),
            gatewayId: gatewayId ?? null,
            devices: devices ?? null,
            heartbeatMs: o.heartbeatMs,
          },
          ctx.lastEventId,
        );
        ctx.onClose(detach);
        raw.once('close', detach);
        const { stillAllowed, recheckMs } = o;
        if (stillAllowed && recheckMs) {
          const timer = setInterval(() => {
            stillAllowed(req).then(
              (ok) => {
                if (!ok) raw.destroy();
              },
              () => raw.destroy(),
            );
          }, recheckMs);
          timer.unref();
          raw.once('close', () => clearInterval(timer));
        }
      },
    );
  });
}
