import type { Database } from 'better-sqlite3';
import type { CookSpec } from '../../shared/cook.js';
import { foodKey } from '../../shared/food-safety/core-track.js';
import type { Part } from '../parts/part.js';
import { openStore } from './open.js';
import { newestReading, READINGS_IN_RANGE, rangeParams } from './telemetry-order.js';

/**
 * A cook that was running when the gateway stopped (a done one too: the engine may still hold it),
 * with the last reading stored before.
 */
export interface StoredCook {
  deviceId: string;
  id: string;
  version: number;
  state: 'heating' | 'holding' | 'done';
  spec: CookSpec;
  startedTs: number;
  updatedTs: number;
  /** When it reached its target (wall clock); null: not yet, or not since its target last changed. */
  reachedTs: number | null;
  /** When its timer ended (wall clock). */
  doneTs: number | null;
  /**
   * When the food now in the bath went in: the first `reached` of the kit since the cook started
   * (wall clock; a changed target keeps the food in), or the last change of the food after it (a new
   * core, shared/food-safety/core-track.ts); null while the water was not ready yet.
   */
  foodInTs: number | null;
  lastC: number | null;
  lastMs: number | null;
}

/**
 * The gateway's read-only connection to its store (WAL: reads never wait for the writer thread),
 * as a part: opened after the writer has migrated the schema, closed after the parts that read.
 */
export class StoreReader implements Part {
  readonly name = 'store reader';
  private conn: Database | undefined;

  constructor(private readonly dataDir: string) {}

  get db(): Database {
    if (!this.conn) throw new Error('store reader not open');
    return this.conn;
  }

  start(): void {
    this.conn = openStore(this.dataDir, { readonly: true });
  }

  /** The alarms not cleared (acknowledged or not), oldest first: what control judges again after a restart (ADR 081). */
  /**
   * The alarms not cleared, each with whether a notification of it stands (`told`: the notifier
   * keeps its kit and type in `notified_alarms`, ADR 081); an alarm raised while no channel was
   * configured, or left open by an older version, was told to nobody.
   */
  unclearedAlarms(): { id: string; deviceId: string | null; type: string; told: boolean }[] {
    const rows = this.db
      .prepare(
        `SELECT a.id, a.device_id AS deviceId, a.type,
           EXISTS (SELECT 1 FROM notified_alarms n WHERE n.device_id = COALESCE(a.device_id, '') AND n.type = a.type) AS told
         FROM alarms a WHERE a.cleared_ts IS NULL ORDER BY a.raised_ts, a.id`,
      )
      .all() as { id: string; deviceId: string | null; type: string; told: number }[];
    return rows.map((r) => ({ ...r, told: r.told === 1 }));
  }

  /**
   * The cooks to resume after a restart: heating, holding and done (the engine keeps holding a done
   * cook with holdAfterDone; control drops the done ones when it does not).
   */
  runningCooks(): StoredCook[] {
    const rows = this.db.prepare("SELECT * FROM cooks WHERE state IN ('heating', 'holding', 'done')").all() as {
      device_id: string;
      id: string;
      version: number;
      state: StoredCook['state'];
      spec: string;
      started_ts: number;
      updated_ts: number;
      reached_ts: number | null;
      done_ts: number | null;
    }[];
    const firstReached = this.db.prepare(
      "SELECT MIN(ts) AS ts FROM events WHERE device_id = ? AND type = 'reached' AND ts >= ? HAVING MIN(ts) IS NOT NULL",
    );
    const versions = this.db.prepare(
      "SELECT ts, data FROM audit WHERE device_id = ? AND action IN ('cook_start', 'cook_change') AND ts >= ? ORDER BY ts, id",
    );
    return rows.map((r) => {
      const last = newestReading(this.db, r.device_id);
      return {
        deviceId: r.device_id,
        id: r.id,
        version: r.version,
        state: r.state,
        spec: JSON.parse(r.spec) as CookSpec,
        startedTs: r.started_ts,
        updatedTs: r.updated_ts,
        reachedTs: r.reached_ts,
        doneTs: r.done_ts,
        foodInTs: foodInOf(
          (firstReached.get(r.device_id, r.started_ts) as { ts: number } | undefined)?.ts ?? null,
          versions.all(r.device_id, r.started_ts) as { ts: number; data: string }[],
          r.id,
        ),
        lastC: last?.temp_c ?? null,
        lastMs: last?.rx_ts ?? null,
      };
    });
  }

  /** A kit's stored readings received from `fromTs` on (wall clock), in order: replayed into a resumed cook's core model. */
  *readingsSince(deviceId: string, fromTs: number): Generator<{ ts: number; tempC: number | null }> {
    yield* this.db
      .prepare(`SELECT rx_ts AS ts, temp_c AS tempC FROM (${READINGS_IN_RANGE}) ORDER BY rx_ts, boot, seq`)
      .iterate(rangeParams(this.db, deviceId, fromTs, Number.MAX_SAFE_INTEGER)) as Iterable<{ ts: number; tempC: number | null }>;
  }

  /** Events or audit entries, newest first (`data` parsed). */
  stop(): void {
    this.conn?.close();
    this.conn = undefined;
  }
}

/** The later of the first `reached` and the cook's last change of food (kind, shape, thickness) after it. */
function foodInOf(firstReached: number | null, rows: readonly { ts: number; data: string }[], cookId: string): number | null {
  if (firstReached === null) return null;
  let key: string | null | undefined;
  let changedTs: number | null = null;
  for (const row of rows) {
    const d = JSON.parse(row.data) as { cookId?: string; spec?: CookSpec };
    if (d.cookId !== cookId || !d.spec) continue;
    const k = foodKey(d.spec);
    if (key !== undefined && k !== key) changedTs = row.ts;
    key = k;
  }
  return changedTs === null ? firstReached : Math.max(firstReached, changedTs);
}
