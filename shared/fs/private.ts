import { chmodSync, existsSync } from 'node:fs';
import { makeDir } from './paths.js';

/**
 * Data directories are 0700 and store files 0600, on the cloud and the gateway: tokens' hashes,
 * sessions and telemetry are nobody else's business on a shared host. Applied at every open, so a
 * directory or file made before (or by a looser umask) is tightened too.
 */
export function privateDir(dir: string): void {
  makeDir(dir, 'data dir', { mode: 0o700 });
}

/** Tightens the files that exist of `files` (a SQLite file and its -wal and -shm). */
export function privateFiles(...files: string[]): void {
  for (const f of files) if (existsSync(f)) chmodSync(f, 0o600);
}

/** A SQLite database file with its WAL and shared-memory files. */
export function sqliteFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`];
}
