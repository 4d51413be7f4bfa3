import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { MAX_REGISTRY_IDS, type RelayRecord } from '../../shared/relay/batch.js';
import { PRIORITY } from '../store/items.js';
import { writeTransaction } from '../store/write-transaction.js';

/**
 * The gateway's device registry for the cloud (the `registry` relay record): the cloud accepts a
 * gateway's records only for devices it owns (docs/adr/027-tenancy.md). A change (a device added
 * or revoked) is queued in the outbox in the same transaction as the change itself; the whole
 * registry is queued when the gateway's store writer starts. Safety priority: it leaves before the
 * readings of a new device.
 */
const KIND = 'registry';
const FULL = 'registry_full';

export function registryRecord(added: readonly string[], revoked: readonly string[], ts: number): string {
  const record: RelayRecord = {
    kind: 'registry',
    id: `reg-${ts}-${randomBytes(4).toString('hex')}`,
    ts,
    added: [...added],
    revoked: [...revoked],
  };
  return JSON.stringify(record);
}

function queue(db: Database, kind: string, record: string, ts: number): void {
  db.prepare('INSERT INTO outbox (priority, kind, record, bytes, created_ts) VALUES (?, ?, ?, ?, ?)').run(
    PRIORITY.safety,
    kind,
    record,
    Buffer.byteLength(record),
    ts,
  );
}

/** One device added or revoked (call inside the transaction that changes the devices table). */
export function queueRegistryChange(db: Database, change: { added?: string; revoked?: string }, ts = Date.now()): void {
  queue(db, KIND, registryRecord(change.added ? [change.added] : [], change.revoked ? [change.revoked] : [], ts), ts);
}

/**
 * The whole registry, in records of at most MAX_REGISTRY_IDS ids; a snapshot not yet sent is
 * replaced (a gateway without a cloud does not pile one up per restart). Nothing when there are no devices.
 */
export function queueFullRegistry(db: Database, ts = Date.now()): number {
  const rows = db.prepare('SELECT id, revoked_ts FROM devices ORDER BY id').all() as { id: string; revoked_ts: number | null }[];
  const added = rows.filter((r) => r.revoked_ts === null).map((r) => r.id);
  const revoked = rows.filter((r) => r.revoked_ts !== null).map((r) => r.id);
  return writeTransaction(db, () => {
    db.prepare('DELETE FROM outbox WHERE kind = ?').run(FULL);
    let n = 0;
    for (let i = 0; i < Math.max(added.length, revoked.length); i += MAX_REGISTRY_IDS) {
      queue(db, FULL, registryRecord(added.slice(i, i + MAX_REGISTRY_IDS), revoked.slice(i, i + MAX_REGISTRY_IDS), ts), ts);
      n++;
    }
    return n;
  })();
}
