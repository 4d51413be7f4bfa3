import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Sqlite, { type Database } from 'better-sqlite3';
import { SvError } from '../../shared/errors.js';
import { migrate } from './schema.js';

export const STORE_FILE = 'gateway.sqlite';

/**
 * Opens the gateway store. WAL lets the writer thread commit while readers on other threads
 * and processes (the CLI, the local API) read. `synchronous = FULL` makes each commit durable
 * across a power cut, not only a process crash: PUBACK promises the device that the message is
 * safe (docs/adr/005-gateway-sqlite-durability.md).
 */
export function openStore(dataDir: string, options: { readonly?: boolean } = {}): Database {
  if (!options.readonly) ensureDataDir(dataDir);
  const file = join(dataDir, STORE_FILE);
  const db = new Sqlite(file, { readonly: options.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    // Private to the gateway's user, like the data dir (the WAL holds the same data).
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  }
  return db;
}

/** The data dir, private to its user (0700), made if missing. */
export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
}

/**
 * Only the gateway (or an explicit `--init`) creates a store: every other command refuses a data
 * dir without one, so a mistyped `--data-dir` never makes a new gateway with a new CA.
 */
export function requireStore(dataDir: string): void {
  if (existsSync(join(dataDir, STORE_FILE))) return;
  const m = `no gateway store at ${resolve(dataDir)} (start the gateway there first, or pass --data-dir)`;
  throw new SvError('SV_ERR_NO_STORE', m, [`dataDir: ${m}`]);
}
