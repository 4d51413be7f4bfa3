/**
 * The store's writer thread: it owns the only write connection, so that SQLite's synchronous
 * commits (and their fsync) never stall the broker, control or watchdog on the main thread
 * (docs/design.md invariant 3). Each message is one group commit: one transaction, one fsync, one reply.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Statement } from 'better-sqlite3';
import { queueFullRegistry } from '../devices/registry-relay.js';
import { alarmWriter } from './alarm-writer.js';
import { DUPLICATE, type NotifiedChange, type NotifyRows, PRIORITY, STORED, type StoreItem } from './items.js';
import { openStore } from './open.js';
import { type PackedBatch, type TelColumns, unpackTelemetry } from './packed-batch.js';
import { relayStateWriter } from './relay-state.js';
import { InOrderChain } from './telemetry-order.js';
import { setThreadNice } from './thread-priority.js';
import { writeTransaction } from './write-transaction.js';

export type WorkerRequest =
  | { id: number; op: 'write'; batch: PackedBatch }
  | { id: number; op: 'retention'; olderThanTs: number; maxRows: number }
  /** This thread's nice value (store.writerNice, ADR 067); the reply's `error` says why not. */
  | { id: number; op: 'nice'; nice: number }
  /** The relay's ack-then-delete: rows leave the outbox only after the cloud answered 2xx. */
  | { id: number; op: 'outbox_ack'; ids: number[] }
  /**
   * Disk quota: until the outbox fits `maxBytes`, drop superseded status records, then the oldest
   * telemetry, then the kits' latest status; nothing else, ever (`evictOutbox`).
   */
  | { id: number; op: 'outbox_evict'; maxBytes: number; countAs?: string }
  /** The operator's purge of dead letters (by id, or by device and age), and a replayed one's removal. */
  | { id: number; op: 'dlq_delete'; ids?: number[]; deviceId?: string; beforeTs?: number }
  /** The notifier's attempts: each delivery row's new state (gateway/notify/delivery.ts). */
  | { id: number; op: 'notify_result'; results: NotifyResult[] };
export type WorkerReply = { id: number; outcomes?: Uint8Array; deleted?: number; evicted?: Record<string, number>; error?: string };

const port = parentPort;
if (!port) throw new Error('writer-worker must run as a worker thread');
const db = openStore((workerData as { dataDir: string }).dataDir);
// The cloud hears the whole device registry at each start (it accepts records only for devices the gateway owns).
queueFullRegistry(db);

const insertTelemetry = db.prepare(
  `INSERT OR IGNORE INTO telemetry (device_id, boot, seq, ts, rx_ts, temp_c, sensor, heater, rssi, late)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
);
/** Which readings are stored in order (late = 0), and need no time index (telemetry-order.ts). */
const chain = new InOrderChain(db);
const upsertStatus = db.prepare(
  `INSERT INTO device_status (device_id, state, boot, fw, profile, rx_ts) VALUES (?, ?, ?, ?, ?, ?)
   ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, boot = excluded.boot, fw = excluded.fw,
     profile = excluded.profile, rx_ts = excluded.rx_ts WHERE excluded.rx_ts >= device_status.rx_ts`,
);
const insertDeadLetter = db.prepare('INSERT INTO dead_letters (rx_ts, device_id, topic, code, reason, payload) VALUES (?, ?, ?, ?, ?, ?)');
const insertSecurity = db.prepare('INSERT INTO security_events (ts, kind, device_id, remote, detail) VALUES (?, ?, ?, ?, ?)');
const insertOutbox = db.prepare('INSERT INTO outbox (priority, kind, record, bytes, created_ts) VALUES (?, ?, ?, ?, ?)');
const deleteDeadLetter = db.prepare('DELETE FROM dead_letters WHERE id = ?');

const insertEvent = db.prepare(
  'INSERT OR IGNORE INTO events (id, device_id, type, severity, safety, ts, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
);
const insertAudit = db.prepare(
  'INSERT OR IGNORE INTO audit (id, ts, actor, actor_id, device_id, action, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
);
const upsertCook = db.prepare(
  `INSERT INTO cooks (device_id, id, version, state, spec, started_ts, updated_ts, reached_ts, done_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (device_id) DO UPDATE SET id = excluded.id, version = excluded.version, state = excluded.state,
     spec = excluded.spec, started_ts = excluded.started_ts, updated_ts = excluded.updated_ts,
     reached_ts = excluded.reached_ts, done_ts = excluded.done_ts`,
);

const relayState = relayStateWriter(db);
const alarms = alarmWriter(db);

const insertNotification = db.prepare(
  'INSERT OR IGNORE INTO notifications (id, device_id, type, severity, ts, body) VALUES (?, ?, ?, ?, ?, ?)',
);
const insertDelivery = db.prepare(
  "INSERT OR IGNORE INTO notify_deliveries (notification_id, channel, state, next_ts) VALUES (?, ?, 'pending', ?)",
);
/** A notification and its delivery rows; a replayed one is stored once. */
function notify(n: NotifyRows): void {
  if (insertNotification.run(n.id, n.deviceId, n.type, n.severity, n.ts, n.body).changes === 0) return;
  for (const c of n.channels) insertDelivery.run(n.id, c, 0);
}

const deleteNotified = db.prepare('DELETE FROM notified_alarms WHERE device_id = ? AND type = ?');
const upsertNotified = db.prepare(
  'INSERT INTO notified_alarms (device_id, type, open) VALUES (?, ?, ?) ON CONFLICT (device_id, type) DO UPDATE SET open = excluded.open',
);
/** The notifier's alarms that notified and are not over (ADR 081). */
function notified(changes: readonly NotifiedChange[] | null | undefined): void {
  for (const c of changes ?? []) {
    if (c.notified) upsertNotified.run(c.deviceId ?? '', c.type, c.open);
    else deleteNotified.run(c.deviceId ?? '', c.type);
  }
}

export interface NotifyResult {
  /** notify_deliveries.id */
  delivery: number;
  state: 'pending' | 'sent' | 'failed';
  attemptTs: number;
  nextTs: number;
  error: string | null;
}
const updateDelivery = db.prepare(
  'UPDATE notify_deliveries SET state = ?, attempts = attempts + 1, last_ts = ?, next_ts = ?, last_error = ? WHERE id = ?',
);
const notifyResults = writeTransaction(db, (results: NotifyResult[]): number => {
  let n = 0;
  for (const r of results) n += updateDelivery.run(r.state, r.attemptTs, r.nextTs, r.error, r.delivery).changes;
  return n;
});

function queue(stmt: Statement, priority: number, kind: string, record: string, ts: number): void {
  stmt.run(priority, kind, record, Buffer.byteLength(record), ts);
}

const writeAll = writeTransaction(db, ({ items, tel }: PackedBatch): Uint8Array => {
  const outcomes = new Uint8Array(items.length);
  let k = 0;
  for (let i = 0; i < items.length; i++) {
    const packed = items[i] as StoreItem | 0;
    const it = packed === 0 ? unpackTelemetry(tel as TelColumns, k++) : packed;
    switch (it.t) {
      case 'tel': {
        const inOrder = chain.inOrder(it.deviceId, it.boot, it.seq, it.rxTs);
        const r = insertTelemetry.run(
          it.deviceId,
          it.boot,
          it.seq,
          it.ts,
          it.rxTs,
          it.tempC,
          it.sensor,
          it.heater ? 1 : 0,
          it.rssi ?? null,
          inOrder ? 0 : 1,
        );
        // PROTOCOL: (id, boot, seq) is the idempotency key; a replay is acknowledged, stored once.
        outcomes[i] = r.changes === 0 ? DUPLICATE : STORED;
        if (r.changes !== 0 && inOrder) chain.extend(it.deviceId, it.boot, it.seq, it.rxTs);
        if (r.changes !== 0 && it.outbox !== null) queue(insertOutbox, PRIORITY.bulk, 'telemetry', it.outbox, it.rxTs);
        break;
      }
      case 'status':
        upsertStatus.run(it.deviceId, it.state, it.boot, it.fw, it.profile, it.rxTs);
        if (it.outbox !== null) queue(insertOutbox, PRIORITY.state, 'status', it.outbox, it.rxTs);
        outcomes[i] = STORED;
        break;
      case 'dlq':
        insertDeadLetter.run(it.rxTs, it.deviceId, it.topic, it.code, it.reason, Buffer.from(it.payload));
        outcomes[i] = STORED;
        break;
      case 'sec':
        insertSecurity.run(it.ts, it.kind, it.deviceId, it.remote, it.detail);
        outcomes[i] = STORED;
        break;
      case 'out':
        // A replayed dead letter leaves the dead letters in the same commit, and only once.
        if (it.replayOf === undefined || deleteDeadLetter.run(it.replayOf).changes > 0) {
          queue(insertOutbox, it.priority, it.kind, it.record, it.ts);
          outcomes[i] = STORED;
        } else outcomes[i] = DUPLICATE;
        break;
      case 'event': {
        const r = insertEvent.run(it.id, it.deviceId, it.type, it.severity, it.safety ? 1 : 0, it.ts, it.data);
        // Safety events share the audit's lane: drained first, never evicted by the quota.
        if (r.changes > 0 && it.outbox !== null)
          queue(insertOutbox, it.safety ? PRIORITY.safety : PRIORITY.state, 'event', it.outbox, it.ts);
        if (r.changes > 0 && it.notify) notify(it.notify);
        if (r.changes > 0) notified(it.notified);
        if (r.changes > 0) alarms.onEvent(it);
        outcomes[i] = r.changes === 0 ? DUPLICATE : STORED;
        break;
      }
      case 'audit': {
        const r = insertAudit.run(it.id, it.ts, it.actor, it.actorId, it.deviceId, it.action, it.reason, it.data);
        if (r.changes > 0 && it.outbox !== null) queue(insertOutbox, PRIORITY.safety, 'audit', it.outbox, it.ts);
        outcomes[i] = r.changes === 0 ? DUPLICATE : STORED;
        break;
      }
      case 'cook':
        upsertCook.run(it.deviceId, it.id, it.version, it.state, it.spec, it.startedTs, it.updatedTs, it.reachedTs, it.doneTs);
        if (it.outbox !== null) queue(insertOutbox, PRIORITY.state, 'cook', it.outbox, it.updatedTs);
        outcomes[i] = STORED;
        break;
      case 'relay':
        relayState.write(it, Date.now());
        outcomes[i] = STORED;
        break;
      case 'notify':
        notify(it);
        notified(it.notified);
        outcomes[i] = STORED;
        break;
      case 'notified':
        notified(it.changes);
        outcomes[i] = STORED;
        break;
      case 'alarm':
        outcomes[i] = alarms.apply(it) ? STORED : DUPLICATE;
        break;
    }
  }
  return outcomes;
});

const deleteOutboxRow = db.prepare('DELETE FROM outbox WHERE id = ?');
const ackOutbox = writeTransaction(db, (ids: number[]): number => {
  let n = 0;
  for (const id of ids) n += deleteOutboxRow.run(id).changes;
  return n;
});
const outboxBytes = db.prepare('SELECT coalesce(sum(bytes), 0) AS b FROM outbox');
type EvictRow = { id: number; kind: string; bytes: number };
/**
 * Status records another status record of the same kit supersedes: the cloud keeps only a kit's
 * newest status (by `(boot, rxTs)`, cloud/stores/redis), so these carry nothing it would keep. Oldest first.
 */
const supersededStatus = db.prepare(
  `SELECT id, kind, bytes FROM (
     SELECT id, kind, bytes, row_number() OVER (
       PARTITION BY json_extract(record, '$.deviceId')
       ORDER BY json_extract(record, '$.boot') DESC, json_extract(record, '$.rxTs') DESC, id DESC) AS newer
     FROM outbox WHERE priority = ${PRIORITY.state} AND kind = 'status')
   WHERE newer > 1 ORDER BY id`,
);
/** The oldest rows of one lane and kind. */
const oldestOf = db.prepare('SELECT id, kind, bytes FROM outbox WHERE priority = ? AND kind = ? ORDER BY id LIMIT 500');
/**
 * The disk quota's eviction, in this order and nothing else: (1) every superseded status record
 * (lossless for the cloud), (2) the oldest bulk telemetry, (3) the kits' latest status records,
 * oldest first, until the outbox fits `maxBytes`. Cook records, events (safety or not), audit,
 * command results, alarms, registry and drop reports are never evicted, whatever their lane.
 */
const evictOutbox = writeTransaction(db, (maxBytes: number): Record<string, number> => {
  const evicted: Record<string, number> = {};
  let total = (outboxBytes.get() as { b: number }).b;
  if (total <= maxBytes) return evicted;
  const drop = (r: EvictRow) => {
    deleteOutboxRow.run(r.id);
    total -= r.bytes;
    evicted[r.kind] = (evicted[r.kind] ?? 0) + 1;
  };
  for (const r of supersededStatus.all() as EvictRow[]) drop(r);
  for (const [priority, kind] of [
    [PRIORITY.bulk, 'telemetry'],
    [PRIORITY.state, 'status'],
  ] as const) {
    while (total > maxBytes) {
      const rows = oldestOf.all(priority, kind) as EvictRow[];
      if (rows.length === 0) break;
      for (const r of rows) {
        if (total <= maxBytes) break;
        drop(r);
      }
    }
  }
  return evicted;
});
/** Eviction counted as drops (`<countAs>:<kind>`) in the same transaction: no count lost or doubled by a crash. */
const evictAndCount = writeTransaction(db, (maxBytes: number, countAs: string): Record<string, number> => {
  const evicted = evictOutbox(maxBytes);
  relayState.countDrops(Object.fromEntries(Object.entries(evicted).map(([kind, n]) => [`${countAs}:${kind}`, n])), Date.now());
  return evicted;
});

const purgeDeadLetters = db.prepare(
  'DELETE FROM dead_letters WHERE (@deviceId IS NULL OR device_id = @deviceId) AND (@beforeTs IS NULL OR rx_ts < @beforeTs)',
);
const deleteDeadLetters = writeTransaction(db, (req: Extract<WorkerRequest, { op: 'dlq_delete' }>): number => {
  if (req.ids) return req.ids.reduce((n, id) => n + deleteDeadLetter.run(id).changes, 0);
  return purgeDeadLetters.run({ deviceId: req.deviceId ?? null, beforeTs: req.beforeTs ?? null }).changes;
});

const deleteOld = db.prepare('DELETE FROM telemetry WHERE rx_ts < ?');
// Notifications age out with the history once every channel is done with them (sent or given up).
const deleteDoneDeliveries = db.prepare("DELETE FROM notify_deliveries WHERE state <> 'pending' AND last_ts < ?");
const deleteOrphanNotifications = db.prepare(
  'DELETE FROM notifications WHERE ts < ? AND NOT EXISTS (SELECT 1 FROM notify_deliveries d WHERE d.notification_id = notifications.id)',
);
const pruneNotifications = writeTransaction(
  db,
  (olderThanTs: number): number => deleteDoneDeliveries.run(olderThanTs).changes + deleteOrphanNotifications.run(olderThanTs).changes,
);
const countRows = db.prepare('SELECT count(*) AS n FROM telemetry');
const cutoffForCap = db.prepare('SELECT rx_ts FROM telemetry ORDER BY rx_ts DESC LIMIT 1 OFFSET ?');

port.on('message', (req: WorkerRequest) => {
  try {
    if (req.op === 'write') {
      const outcomes = writeAll(req.batch);
      port.postMessage({ id: req.id, outcomes } satisfies WorkerReply, [outcomes.buffer as ArrayBuffer]);
    } else if (req.op === 'outbox_ack') {
      port.postMessage({ id: req.id, deleted: ackOutbox(req.ids) } satisfies WorkerReply);
    } else if (req.op === 'nice') {
      const refused = setThreadNice(req.nice);
      port.postMessage({ id: req.id, ...(refused === null ? {} : { error: refused }) } satisfies WorkerReply);
    } else if (req.op === 'notify_result') {
      port.postMessage({ id: req.id, deleted: notifyResults(req.results) } satisfies WorkerReply);
    } else if (req.op === 'dlq_delete') {
      port.postMessage({ id: req.id, deleted: deleteDeadLetters(req) } satisfies WorkerReply);
    } else if (req.op === 'outbox_evict') {
      const evicted = req.countAs === undefined ? evictOutbox(req.maxBytes) : evictAndCount(req.maxBytes, req.countAs);
      port.postMessage({ id: req.id, evicted } satisfies WorkerReply);
    } else {
      // Retention of the local history: by age, then by row cap (oldest first). The outbox is
      // separate, so history retention never drops what the cloud has not acknowledged.
      let deleted = deleteOld.run(req.olderThanTs).changes;
      deleted += pruneNotifications(req.olderThanTs);
      const { n } = countRows.get() as { n: number };
      if (n > req.maxRows) {
        const row = cutoffForCap.get(req.maxRows) as { rx_ts: number } | undefined;
        if (row) deleted += deleteOld.run(row.rx_ts + 1).changes;
      }
      port.postMessage({ id: req.id, deleted } satisfies WorkerReply);
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    port.postMessage({ id: req.id, error: code ? `${(err as Error).message} (${code})` : (err as Error).message } satisfies WorkerReply);
  }
});
