import type { Database, Statement } from 'better-sqlite3';

/**
 * Readings in order, and how a kit's readings of a time range are found without a per-kit time
 * index (ADR 044).
 *
 * The telemetry table is ordered by its key (device_id, boot, seq). A reading is stored *in order*
 * (late = 0) when it comes after every in-order reading of its kit in (boot, seq) and was not
 * received earlier than any of them. So among a kit's in-order rows, key order is receive-time
 * order, and a time range of them is one key range: no index by (device_id, rx_ts) has to be
 * written for them, which at 10,000 kits was half of the writer thread's work (every reading
 * dirtied a second page of its own). The rest are *late* (late = 1): a replay of readings kept by
 * the kit while it was offline, a reflashed kit whose boot counter went back, a clock stepped
 * back; they are indexed by (device_id, rx_ts). One in-order reading in `MARK_EVERY` (by seq) is
 * a *mark*, indexed by (device_id, rx_ts) too: the marks around a range give the key range to read.
 *
 * Migration 6 (schema.ts) spells `MARK_EVERY` in its partial index; the two must stay equal.
 */
export const MARK_EVERY = 64;

/** A reading's place: its key and receive time. */
interface Place {
  boot: number;
  seq: number;
  rx: number;
}

const after = (a: Place, boot: number, seq: number): boolean => boot > a.boot || (boot === a.boot && seq > a.seq);

/**
 * The writer thread's side: per kit, the last reading stored in order. Only the writer inserts
 * readings, so the chain it keeps is the truth; it may only run ahead of the table (a rolled-back
 * commit, retention), which makes a few more readings late and is never wrong.
 */
export class InOrderChain {
  private readonly last = new Map<string, Place>();
  private readonly newestOf: Statement;
  /** Every row that was there when the chain started was received at or before this. */
  private readonly startRx: number;

  constructor(db: Database) {
    this.newestOf = db.prepare('SELECT boot, seq FROM telemetry WHERE device_id = ? ORDER BY boot DESC, seq DESC LIMIT 1');
    const row = db.prepare('SELECT max(rx_ts) AS rx FROM telemetry').get() as { rx: number | null };
    this.startRx = row.rx ?? Number.NEGATIVE_INFINITY;
  }

  /** Whether a reading would be stored in order (late = 0). */
  inOrder(deviceId: string, boot: number, seq: number, rxTs: number): boolean {
    const last = this.lastOf(deviceId);
    return rxTs >= last.rx && after(last, boot, seq);
  }

  /** After an in-order reading was inserted. */
  extend(deviceId: string, boot: number, seq: number, rxTs: number): void {
    const last = this.lastOf(deviceId);
    last.boot = boot;
    last.seq = seq;
    last.rx = rxTs;
  }

  private lastOf(deviceId: string): Place {
    let p = this.last.get(deviceId);
    if (p === undefined) {
      // Rows from before the chain started: after the newest key of the kit, and not received
      // before anything then in the table (the rows migrated from an older schema are all late).
      const newest = this.newestOf.get(deviceId) as { boot: number; seq: number } | undefined;
      p = { boot: newest?.boot ?? Number.NEGATIVE_INFINITY, seq: newest?.seq ?? Number.NEGATIVE_INFINITY, rx: this.startRx };
      this.last.set(deviceId, p);
    }
    return p;
  }
}

/**
 * A kit's readings received in [from, to), every column, as a derived table: the in-order rows
 * between the marks around the range (one key range), and the late rows of the range (their
 * index). Order it as the query needs (ORDER BY rx_ts, boot, seq is the readings' order). Bind
 * `rangeParams(...)`.
 */
export const READINGS_IN_RANGE = `
  SELECT * FROM telemetry WHERE device_id = @deviceId AND late = 0
    AND (boot, seq) > (@loBoot, @loSeq) AND (boot, seq) < (@hiBoot, @hiSeq) AND rx_ts >= @from AND rx_ts < @to
  UNION ALL
  SELECT * FROM telemetry WHERE device_id = @deviceId AND late = 1 AND rx_ts >= @from AND rx_ts < @to`;

export interface RangeParams {
  deviceId: string;
  from: number;
  to: number;
  loBoot: number;
  loSeq: number;
  hiBoot: number;
  hiSeq: number;
}

/**
 * The key range of a kit's in-order readings in [from, to): after the last mark received before
 * `from` (an in-order row received before `from` has a smaller key than any received at or after
 * it), and before the first mark received at or after `to`. Without such a mark, from the kit's
 * first reading, or to its last.
 */
export function rangeParams(db: Database, deviceId: string, from: number, to: number): RangeParams {
  const lo = db
    .prepare(
      `SELECT boot, seq FROM telemetry WHERE device_id = ? AND late = 0 AND seq % ${MARK_EVERY} = 0 AND rx_ts < ?
       ORDER BY rx_ts DESC LIMIT 1`,
    )
    .get(deviceId, from) as { boot: number; seq: number } | undefined;
  const hi = db
    .prepare(
      `SELECT boot, seq FROM telemetry WHERE device_id = ? AND late = 0 AND seq % ${MARK_EVERY} = 0 AND rx_ts >= ?
       ORDER BY rx_ts LIMIT 1`,
    )
    .get(deviceId, to) as { boot: number; seq: number } | undefined;
  return {
    deviceId,
    from,
    to,
    loBoot: lo?.boot ?? Number.MIN_SAFE_INTEGER,
    loSeq: lo?.seq ?? Number.MIN_SAFE_INTEGER,
    hiBoot: hi?.boot ?? Number.MAX_SAFE_INTEGER,
    hiSeq: hi?.seq ?? Number.MAX_SAFE_INTEGER,
  };
}

/** A kit's newest reading with a temperature, in order or late. */
export function newestReading(db: Database, deviceId: string): { temp_c: number; rx_ts: number } | undefined {
  type Row = { temp_c: number; rx_ts: number };
  // In-order rows: the newest key is the newest received.
  const inOrder = db
    .prepare(
      'SELECT temp_c, rx_ts FROM telemetry WHERE device_id = ? AND late = 0 AND temp_c IS NOT NULL ORDER BY boot DESC, seq DESC LIMIT 1',
    )
    .get(deviceId) as Row | undefined;
  const late = db
    .prepare('SELECT temp_c, rx_ts FROM telemetry WHERE device_id = ? AND late = 1 AND temp_c IS NOT NULL ORDER BY rx_ts DESC LIMIT 1')
    .get(deviceId) as Row | undefined;
  if (inOrder === undefined) return late;
  if (late === undefined) return inOrder;
  return late.rx_ts > inOrder.rx_ts ? late : inOrder;
}
