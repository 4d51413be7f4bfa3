/**
 * The relay's reader thread: it owns a read-only connection to the outbox, builds each batch body
 * (the stored record JSON is spliced in, never parsed) and gzips it, and computes the backlog
 * statistics. None of this runs on the main thread, where control and the watchdog must never
 * wait on disk (docs/design.md invariant 3). WAL: these reads never block the writer thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { openStore } from '../store/open.js';
import { readRelayState } from '../store/relay-state.js';
import type { ReaderRequest, ReadReply, StatsReply } from './reader-types.js';

const port = parentPort;
if (!port) throw new Error('reader-worker must run as a worker thread');
const db = openStore((workerData as { dataDir: string }).dataDir, { readonly: true });

/** One lane: a priority and an id range, always read in id order (a device's records stay in order). */
const laneRows = db.prepare(
  'SELECT id, record, bytes, created_ts FROM outbox WHERE priority = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?',
);
const byPriority = db.prepare(
  'SELECT priority, count(*) AS n, coalesce(sum(bytes), 0) AS b, min(created_ts) AS oldest FROM outbox GROUP BY priority',
);
const maxId = db.prepare('SELECT coalesce(max(seq), 0) AS m FROM sqlite_sequence WHERE name = ?');

function read(req: Extract<ReaderRequest, { op: 'read' }>): ReadReply {
  const ids: number[] = [];
  const parts: string[] = [];
  let bytes = 0;
  let oldest = Number.POSITIVE_INFINITY;
  const lanes: number[] = [];
  const laneLast: number[] = [];
  // Lanes in order: safety events and audit, latest state, live telemetry, then the backlog.
  for (const lane of req.lanes) {
    let got = 0;
    let after = lane.after;
    while (ids.length < req.maxRecords && bytes < req.maxBytes) {
      const rows = laneRows.all(lane.priority, after, lane.upTo, Math.min(1000, req.maxRecords - ids.length)) as {
        id: number;
        record: string;
        bytes: number;
        created_ts: number;
      }[];
      for (const r of rows) {
        // A batch always carries at least one record, however large (it fits the cloud's limit: 4 KiB packets).
        if (ids.length > 0 && bytes + r.bytes + 1 > req.maxBytes) {
          bytes = req.maxBytes;
          break;
        }
        ids.push(r.id);
        parts.push(r.record);
        bytes += r.bytes + 1;
        if (r.created_ts < oldest) oldest = r.created_ts;
        after = r.id;
        got++;
      }
      if (rows.length === 0 || bytes >= req.maxBytes) break;
    }
    lanes.push(got);
    laneLast.push(after);
  }
  const full = ids.length >= req.maxRecords || bytes >= req.maxBytes;
  const age = ids.length === 0 ? 0 : Date.now() - oldest;
  // Linger: a partial batch waits until its oldest record is `lingerMs` old, then goes. A negative
  // age (the clock stepped back) never waits: no record may stall behind a clock.
  const lastId = (maxId.get('outbox') as { m: number }).m;
  if (ids.length === 0) return { count: 0, waitMs: req.lingerMs, lanes, laneLast, lastId };
  if (!full && age >= 0 && age < req.lingerMs) return { count: ids.length, waitMs: req.lingerMs - age, lanes, laneLast, lastId };
  const body = gzipSync(`${req.head}${parts.join(',')}]}`, { level: 1 });
  return { count: ids.length, waitMs: 0, lanes, laneLast, lastId, ids: Float64Array.from(ids), body, rawBytes: bytes };
}

function stats(): StatsReply {
  const rows = byPriority.all() as { priority: number; n: number; b: number; oldest: number | null }[];
  const lastId = (maxId.get('outbox') as { m: number }).m;
  return { rows, lastId, at: Date.now() };
}

port.on('message', (req: ReaderRequest) => {
  try {
    if (req.op === 'read') {
      const reply = read(req);
      const transfer = reply.ids ? [reply.ids.buffer as ArrayBuffer] : [];
      port.postMessage({ id: req.id, reply }, transfer);
    } else if (req.op === 'lastId') {
      port.postMessage({ id: req.id, reply: (maxId.get('outbox') as { m: number }).m });
    } else if (req.op === 'relayState') {
      port.postMessage({ id: req.id, reply: readRelayState(db) });
    } else {
      const started = performance.now();
      port.postMessage({ id: req.id, reply: { ...stats(), ms: performance.now() - started } });
    }
  } catch (err) {
    port.postMessage({ id: req.id, error: (err as Error).message });
  }
});
