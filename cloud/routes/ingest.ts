import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SvError } from '../../shared/errors.js';
import { TEMP_MAX_C, TEMP_MIN_C } from '../../shared/protocol/messages.js';
import { INSTANCE_HEADER, MAX_TARGET_HEADER, RelayBatch, SENT_AT_HEADER } from '../../shared/relay/batch.js';
import type { Principal } from '../http/auth.js';
import { doc } from '../http/validate.js';
import { InFlight } from '../ingest/in-flight.js';
import { parseBatch } from '../ingest/parse.js';
import { reportSharedToken, SharedTokenWatch } from '../ingest/shared-token.js';
import { type RouteDeps, SECURITY } from './deps.js';

/**
 * The highest cook target the gateway accepts, °C: undefined when the header is absent (an older
 * gateway), null when it is not a temperature (then ignored).
 */
function maxTargetOf(v: string | string[] | undefined): number | undefined | null {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^\d{1,3}(\.\d{1,2})?$/.test(v) ? Number(v) : Number.NaN;
  return n >= TEMP_MIN_C && n <= TEMP_MAX_C ? n : null;
}

/** X-Sousvide-Sent-At: epoch ms on the gateway's clock; anything else is ignored (the body's sentAt counts). */
function sentAtOf(v: string | string[] | undefined): number | undefined {
  return typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : undefined;
}

/**
 * Calls `release` exactly once, when the request is over: its answer written, or its connection
 * gone. The response's `close` alone is not enough: a client that left while the token was being
 * checked closed before this runs, and a pipelined request still queued behind another answer
 * never gets its response's `close` when the socket dies; the socket's `close` covers both.
 */
function releaseOnce(req: FastifyRequest, reply: FastifyReply, release: () => void): void {
  const socket = req.raw.socket;
  if (reply.raw.destroyed || socket.destroyed) {
    release();
    return;
  }
  // A flag, not only off(): the socket's close emits the response's close, and a listener removed
  // during an emit is still called by that emit.
  let released = false;
  const done = () => {
    reply.raw.off('close', done);
    socket.off('close', done);
    if (released) return;
    released = true;
    release();
  };
  reply.raw.once('close', done);
  socket.once('close', done);
}

/** `POST /v1/ingest`: a gateway's relay batch (shared/relay/batch.ts); 200 only when every sink committed. */
export async function ingestRoutes(http: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { auth, metrics, pipeline } = deps;
  const sharedToken = new SharedTokenWatch();
  const inFlight = new InFlight({ perGateway: deps.config.ingest.maxInFlightPerGateway, perOrg: deps.config.ingest.maxInFlightPerOrg });
  metrics.onInFlight(() => inFlight.count());
  // After the token: counted until the answer is written or the connection closes (ADR 074).
  const limitInFlight = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = req.principal as Extract<Principal, { kind: 'gateway' }>;
    const refused = inFlight.enter(p.id, p.orgId);
    if (refused) {
      metrics.inFlightRefused.inc({ limit: refused.key });
      reply.header('retry-after', '1');
      const whose = refused.key === 'ingest.maxInFlightPerOrg' ? "this org's gateways" : 'this gateway';
      throw new SvError('SV_ERR_RATE_LIMITED', `too many ingest requests in flight for ${whose}; retry in 1 s`, [
        `${refused.key}: ${refused.limit}`,
      ]);
    }
    releaseOnce(req, reply, () => inFlight.leave(p.id, p.orgId));
  };
  http.post(
    '/v1/ingest',
    {
      onRequest: [auth.gateway(), limitInFlight],
      // Large batches that the gateway's JSON.stringify wrote: the repeated-key scan would cost as much as the parse.
      config: { jsonDuplicateKeys: 'skip' },
      schema: {
        summary: 'Relay batch from a gateway (gateway token). Replays are no-ops; 503 + Retry-After when a sink did not commit.',
        tags: ['ingest'],
        security: SECURITY,
        body: doc(RelayBatch),
      },
    },
    async (req) => {
      const body = req.body as { records?: unknown } | null;
      metrics.recv.inc(Array.isArray(body?.records) ? body.records.length : 0);
      let parsed: ReturnType<typeof parseBatch>;
      try {
        parsed = parseBatch(body);
      } catch (err) {
        metrics.parseFail.inc();
        throw err;
      }
      metrics.parseOk.inc(parsed.batch.records.length);
      metrics.parseFail.inc(parsed.rejected.length);
      const p = req.principal as Extract<Principal, { kind: 'gateway' }>;
      const maxTargetC = maxTargetOf(req.headers[MAX_TARGET_HEADER]);
      if (maxTargetC === null)
        req.log.warn({ gatewayId: p.id, value: req.headers[MAX_TARGET_HEADER] }, `${MAX_TARGET_HEADER}: not a temperature; ignored`);
      const sender = { id: p.id, orgId: p.orgId, maxTargetC: maxTargetC ?? undefined, sentAt: sentAtOf(req.headers[SENT_AT_HEADER]) };
      const instance = req.headers[INSTANCE_HEADER];
      if (typeof instance === 'string' && /^[0-9a-f]{8,32}$/.test(instance) && sharedToken.seen(p.id, instance, deps.now())) {
        metrics.tokenShared.inc();
        void reportSharedToken(deps.stores.meta, deps.log, p.orgId, p.id, deps.now());
      }
      return pipeline.ingest(sender, parsed.batch, deps.now(), parsed.rejected, parsed.positions);
    },
  );
}
