import type { Database } from 'better-sqlite3';
import type { CookSpec } from '../../shared/cook.js';
import type { Part } from '../parts/part.js';
import { openStore } from './open.js';
import { newestReading } from './telemetry-order.js';

/** A cook that was running when the gateway stopped, with the last reading stored before. */
export interface StoredCook {
  deviceId: string;
  id: string;
  version: number;
  state: 'heating' | 'holding';
  spec: CookSpec;
  startedTs: number;
  updatedTs: number;
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

  /** The cooks to resume after a restart. */
  runningCooks(): StoredCook[] {
    const rows = this.db.prepare("SELECT * FROM cooks WHERE state IN ('heating', 'holding')").all() as {
      device_id: string;
      id: string;
      version: number;
      state: StoredCook['state'];
      spec: string;
      started_ts: number;
      updated_ts: number;
    }[];
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
        lastC: last?.temp_c ?? null,
        lastMs: last?.rx_ts ?? null,
      };
    });
  }

  /** Events or audit entries, newest first (`data` parsed). */
  stop(): void {
    this.conn?.close();
    this.conn = undefined;
  }
}
