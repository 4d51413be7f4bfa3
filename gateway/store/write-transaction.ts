import type { Database } from 'better-sqlite3';

/**
 * A transaction that takes the store's write lock when it begins (`BEGIN IMMEDIATE`), so that it
 * waits for another writer (the gateway's writer thread, a CLI command in another process) under
 * `busy_timeout` like a single statement does.
 *
 * A deferred transaction (`db.transaction(fn)` as it is) that reads before it writes holds a read
 * snapshot when it asks for the write lock; if another connection holds that lock then, SQLite
 * answers SQLITE_BUSY at once without waiting (it cannot wait: the snapshot would be stale). In
 * the writer thread that failed a whole group commit, unacknowledged, and disconnected every kit
 * in it. Every transaction that writes the gateway store goes through here.
 */
export function writeTransaction<F extends (...args: never[]) => unknown>(db: Database, fn: F): F {
  return db.transaction(fn).immediate as unknown as F;
}
