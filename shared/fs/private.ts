import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { SvError } from '../errors.js';

/**
 * Data directories are 0700 and store files 0600, on the cloud and the gateway: tokens' hashes,
 * sessions and telemetry are nobody else's business on a shared host. Applied at every open, so a
 * directory or file made before (or by a looser umask) is tightened too.
 */
export function privateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (err) {
    // A path the user gave that cannot be a private directory: say which and why, without a stack.
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    const reason = DIR_REASONS[code] ?? (err as Error).message;
    throw new SvError('SV_ERR_STARTUP', `data dir ${dir}: ${reason} (${code})`, [`data dir: ${reason}`]);
  }
}

const DIR_REASONS: Record<string, string> = {
  EACCES: 'no permission to create it or to change its mode',
  EPERM: 'cannot make it private (mode 0700): not owned by this user, or not a directory that allows it',
  EEXIST: 'it, or a part of its path, is a file, not a directory',
  ENOTDIR: 'a part of its path is a file, not a directory',
  EROFS: 'it is on a read-only file system',
  ENOSPC: 'the disk is full',
};

/** Tightens the files that exist of `files` (a SQLite file and its -wal and -shm). */
export function privateFiles(...files: string[]): void {
  for (const f of files) if (existsSync(f)) chmodSync(f, 0o600);
}

/** A SQLite database file with its WAL and shared-memory files. */
export function sqliteFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`];
}
