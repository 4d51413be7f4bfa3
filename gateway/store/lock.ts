import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Sqlite, { type Database } from 'better-sqlite3';
import { SvError } from '../../shared/errors.js';
import { privateDir, privateFiles } from '../../shared/fs/private.js';

const LOCK_FILE = 'gateway.lock';
const INFO_FILE = 'gateway.json';

/** What a running gateway tells the CLI and a second gateway about itself (`<data-dir>/gateway.json`). */
export interface GatewayInfo {
  pid: number;
  startedAt: string;
  /** The URL kits use, from the gateway's own configuration. */
  mqttUrl: string;
}

/**
 * One gateway per data dir. The lock is an exclusive SQLite lock (an OS file lock, fcntl) on
 * `gateway.lock`, held for the life of the process: the kernel frees it when the process dies,
 * however it dies, so a crash never leaves a stale lock. A second gateway on the same dir is
 * refused with the holder's pid. The CLI's device commands write the store itself, not this
 * file, so they keep working while a gateway runs.
 */
export function lockDataDir(dataDir: string): { release(): void } {
  privateDir(dataDir);
  const file = join(dataDir, LOCK_FILE);
  const db: Database = new Sqlite(file);
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('journal_mode = MEMORY'); // nothing here is worth a journal file
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the EXCLUSIVE lock; EXCLUSIVE locking mode keeps it until close.
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL)');
    db.exec('DELETE FROM holder');
    db.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, new Date().toISOString());
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    const holder = readGatewayInfo(dataDir)?.pid;
    const m = `data dir ${resolve(dataDir)} is in use by another gateway${holder ? ` (pid ${holder})` : ''}`;
    throw new SvError('SV_ERR_DATA_DIR_IN_USE', m, [`dataDir: ${m}`]);
  }
  privateFiles(file);
  return { release: () => db.close() };
}

/** Written by the gateway once it listens (the real MQTT port, also when configured as 0). */
export function writeGatewayInfo(dataDir: string, info: Omit<GatewayInfo, 'pid' | 'startedAt'>): void {
  const body = { pid: process.pid, startedAt: new Date().toISOString(), ...info };
  writeFileSync(join(dataDir, INFO_FILE), `${JSON.stringify(body)}\n`, { mode: 0o600 });
}

/** The last gateway's self-description, or undefined (never started, or unreadable). */
export function readGatewayInfo(dataDir: string): GatewayInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, INFO_FILE), 'utf8')) as GatewayInfo;
  } catch {
    return undefined;
  }
}
