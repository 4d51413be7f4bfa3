import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Sqlite, { type Database } from 'better-sqlite3';
import { SvError } from '../../shared/errors.js';
import { privateDir, privateFiles, sqliteFiles } from '../../shared/fs/private.js';
import { damagedStoreError } from '../../shared/fs/sqlite-file.js';
import { STORE_FILE } from './data-dir.js';
import { migrate } from './schema.js';

export { STORE_FILE };
/** Pages of WAL between automatic checkpoints (SQLite's default is 1,000; ADR 044). */
export const WAL_CHECKPOINT_PAGES = 10_000;

/**
 * Opens the gateway store. WAL lets the writer thread commit while readers on other threads
 * and processes (the CLI, the local API) read. `synchronous = FULL` makes each commit durable
 * across a power cut, not only a process crash: PUBACK promises the device that the message is
 * safe (docs/adr/005-gateway-sqlite-durability.md).
 */
export function openStore(dataDir: string, options: { readonly?: boolean } = {}): Database {
  if (!options.readonly) privateDir(dataDir);
  const file = join(dataDir, STORE_FILE);
  const db = new Sqlite(file, { readonly: options.readonly ?? false });
  try {
    db.pragma('busy_timeout = 5000');
    // The first read of the file: a file that is not a database says so here, in one line.
    db.pragma('schema_version');
    if (!options.readonly) configure(db, file);
  } catch (err) {
    db.close();
    throw damagedStoreError(resolve(file), err) ?? err;
  }
  return db;
}

/** WAL, durability and checkpoints, then the schema's migrations (a store opened to write). */
function configure(db: Database, file: string): void {
  privateFiles(file); // before WAL: SQLite gives the -wal and -shm files the database file's mode
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // A checkpoint (the WAL copied back into the database file, and both fsynced) every 10,000
  // pages rather than every 1,000: at 10,000 kits a reading writes about one page of its own,
  // so the default checkpointed ten times a second. The WAL then holds up to ~40 MB, cut back
  // to 64 MiB after a larger transaction (a migration, a big retention delete).
  db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  db.pragma('foreign_keys = ON');
  migrate(db);
  privateFiles(...sqliteFiles(file));
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
