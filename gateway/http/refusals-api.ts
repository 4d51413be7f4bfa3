import type { Database } from 'better-sqlite3';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CURSOR, decodeCursor, PAGE_QUERY, pageOf } from '../../shared/api/cursor.js';
import { noBody, parse, QueryMs } from '../../shared/api/parse.js';
import { SvError } from '../../shared/errors.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import { RelayRecord } from '../../shared/relay/batch.js';
import { parseTopic } from '../../shared/topics.js';
import { formatIssues } from '../../shared/zod-issues.js';
import type { IngestPort } from '../broker/ports.js';
import { parseUplink } from '../ingest/pipeline.js';
import { relayLaneOf, STORED } from '../store/items.js';
import { type DeadLetterRow, deadLetter, deadLetters, securityEvents } from '../store/refusals.js';
import type { StoreWriter } from '../store/writer.js';

/**
 * What the gateway refused, for the kit developer whose messages "vanish": dead letters (payloads
 * that failed strict parsing, with the reason) and security events (failed authentications, ACL
 * denials, limits), newest first with an id cursor, filtered by device. A dead letter can be
 * replayed (parsed again with today's schema and, if it passes now, ingested as if it had just
 * arrived; a relay record the cloud refused goes back into the outbox) or purged.
 */
export interface RefusalsApiDeps {
  reader: () => Database;
  store: StoreWriter;
  ingest: IngestPort;
  auth: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Whether the relay runs (a cloud URL): a relay record's dead letter goes back into its outbox. */
  relayOn?: () => boolean;
}

/** The topic of a record the cloud refused on its own (gateway/relay/relay.ts `deadLetter`). */
const RELAY_TOPIC = 'relay/outbox';

/**
 * The relay records a replay may queue again: facts with ids (readings, events, audit, command results), the latest
 * status (the cloud keeps the newest) and alarm steps (merged, order-free). Not a kit's registry
 * entry nor a cook record: an old one replayed after later changes would undo them (a revocation
 * replayed after the kit was provisioned again revokes the live kit).
 */
const REPLAYABLE = new Set(['telemetry', 'event', 'audit', 'command_result', 'status', 'alarm']);

/**
 * A relay record the cloud refused (too large for its body limit), replayed: checked against
 * today's relay contract, then queued in its lane of the outbox in the commit that deletes the
 * dead letter (`replayOf`), so a replay queues it once. If the cloud still refuses it, it comes
 * back as a new dead letter, counted as a drop again.
 */
async function replayRelayRecord(d: RefusalsApiDeps, row: DeadLetterRow) {
  if (!d.relayOn?.()) {
    throw new SvError('SV_ERR_CONFLICT', `dead letter ${row.id} is a relay record and this gateway runs without a cloud`, [
      'cloud.url: not set',
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(row.payload));
  } catch {
    json = undefined;
  }
  const parsed = RelayRecord.safeParse(json);
  if (!parsed.success) {
    const reason = formatIssues(parsed.error, 'payload').slice(0, 5);
    throw new SvError('SV_ERR_PAYLOAD_INVALID', `still not a relay record by today's contract: ${reason.join('; ')}`, reason);
  }
  const record = parsed.data;
  if (!REPLAYABLE.has(record.kind)) {
    throw new SvError(
      'SV_ERR_CONFLICT',
      `dead letter ${row.id} is a ${record.kind} record: a state that later records replace, which a replay would undo`,
      [`payload.kind: ${record.kind} is not replayed (only ${[...REPLAYABLE].join(', ')})`],
    );
  }
  const stored = await new Promise<boolean>((resolve, reject) =>
    d.store.write(
      { t: 'out', priority: relayLaneOf(record), kind: record.kind, record: JSON.stringify(record), ts: Date.now(), replayOf: row.id },
      (err, outcome) => (err ? reject(err) : resolve(outcome === STORED)),
    ),
  );
  if (!stored) throw new SvError('SV_ERR_NOT_FOUND', `no dead letter ${row.id}`, ['params.id: no such dead letter']);
  return { replayed: { id: row.id, deviceId: row.deviceId, kind: record.kind } };
}

const Page = z.strictObject({ device: DeviceId.optional(), ...PAGE_QUERY });

const Purge = z.strictObject({
  device: DeviceId.optional(),
  /** Only dead letters received before this time (epoch ms). */
  before: QueryMs.optional(),
});

/** A dead letter's id in the path; named `params.id` in errors, like the device id of the other routes. */
const IdParams = z.strictObject({ id: z.coerce.number().int().min(1) });
const idParam = (req: FastifyRequest) => parse(IdParams, req.params, 'params').id;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function view(r: DeadLetterRow) {
  let text: string | null = null;
  try {
    text = utf8.decode(r.payload);
  } catch {
    text = null;
  }
  return {
    id: r.id,
    rxTs: r.rxTs,
    deviceId: r.deviceId,
    topic: r.topic,
    code: r.code,
    reason: r.reason,
    bytes: r.payload.byteLength,
    // The payload as the kit sent it: text when it is UTF-8, else base64.
    ...(text !== null ? { payload: text } : { payloadBase64: r.payload.toString('base64') }),
  };
}

/** An id-cursor page (newest first): `{items, nextCursor}` like every list (docs/api.md). */
function pageQuery(req: FastifyRequest) {
  const q = parse(Page, req.query, 'query');
  const before = decodeCursor(q.cursor, CURSOR.byInt)?.[0] as number | undefined;
  return { limit: q.limit, store: { limit: q.limit + 1, before, device: q.device } };
}

export function refusalsApi(http: FastifyInstance, d: RefusalsApiDeps): void {
  const onRequest = d.auth;
  http.get('/v1/dead-letters', { onRequest }, async (req) => {
    const q = pageQuery(req);
    return pageOf(deadLetters(d.reader(), q.store).map(view), q.limit, (x) => [x.id]);
  });
  http.get('/v1/security-events', { onRequest }, async (req) => {
    const q = pageQuery(req);
    return pageOf(securityEvents(d.reader(), q.store), q.limit, (x) => [x.id]);
  });
  http.post('/v1/dead-letters/:id/replay', { onRequest }, async (req) => {
    const id = idParam(req);
    noBody(req.body);
    const row = deadLetter(d.reader(), id);
    if (!row) throw new SvError('SV_ERR_NOT_FOUND', `no dead letter ${id}`, ['params.id: no such dead letter']);
    if (row.topic === RELAY_TOPIC) return replayRelayRecord(d, row);
    const topic = parseTopic(row.topic);
    if (!topic || topic.suffix === 'cmd' || row.deviceId === null || topic.deviceId !== row.deviceId)
      throw new SvError('SV_ERR_CONFLICT', `dead letter ${id} is not a kit's uplink (${row.topic}): it cannot be replayed`, [
        'topic: not an uplink topic of the kit',
      ]);
    const parsed = parseUplink(topic.suffix, row.payload);
    if (!parsed.ok) throw new SvError(parsed.code, `still refused by today's schema: ${parsed.reason}`, [parsed.reason]);
    // As if the kit had just sent it: dedupe, durable commit, control, relay.
    await new Promise<void>((resolve, reject) =>
      d.ingest.handle(row.deviceId as string, topic.suffix as 'telemetry', row.topic, row.payload, 1, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    await d.store.deadLettersDelete({ ids: [id] });
    return { replayed: { id, deviceId: row.deviceId, kind: topic.suffix } };
  });
  http.delete('/v1/dead-letters/:id', { onRequest }, async (req) => {
    const id = idParam(req);
    noBody(req.body);
    const purged = await d.store.deadLettersDelete({ ids: [id] });
    if (purged === 0) throw new SvError('SV_ERR_NOT_FOUND', `no dead letter ${id}`, ['params.id: no such dead letter']);
    return { purged };
  });
  http.delete('/v1/dead-letters', { onRequest }, async (req) => {
    const q = parse(Purge, req.query, 'query');
    noBody(req.body, 'filters go in the query');
    return { purged: await d.store.deadLettersDelete({ deviceId: q.device, beforeTs: q.before }) };
  });
}
