import { closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SvError } from '../../shared/errors.js';
import { overwriteProblem } from '../../shared/fs/paths.js';
import { gatewayFileAt, isInsideDataDir, realPath } from './data-dir.js';
import { openStore, requireStore } from './open.js';

/**
 * An online backup of the store while the gateway runs: SQLite's backup API copies a consistent
 * snapshot page by page without stopping the writer (WAL readers do not block it). The copy holds
 * what the store holds (device secrets' hashes, cook records), so it is written private (0600),
 * beside the target under a temporary name and then renamed over it: a backup that fails half-way
 * leaves the previous one as it was. A target inside the gateway's data dir (the live store, its
 * lock, which is a SQLite file too, …), a directory, or a file that is not a SQLite database is
 * refused before anything is written.
 */
export async function backupStore(dataDir: string, target: string): Promise<{ pages: number; file: string }> {
  requireStore(dataDir);
  const file = checkTarget(dataDir, target);
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
  // Made empty and private first: SQLite keeps the mode of a file it opens.
  closeSync(openSync(tmp, 'w', 0o600));
  const db = openStore(dataDir, { readonly: true });
  try {
    const r = await db.backup(tmp);
    renameSync(tmp, file);
    return { pages: r.totalPages, file };
  } catch (err) {
    throw new SvError('SV_ERR_STORE_FAILED', `backup to ${file} failed: ${(err as Error).message}`, [`file: ${(err as Error).message}`]);
  } finally {
    db.close();
    rmSync(tmp, { force: true });
  }
}

const usage = (target: string, reason: string) => new SvError('SV_ERR_CLI_USAGE', `file ${target}: ${reason}`, [`file: ${reason}`]);

/** The absolute path to write, or a usage error that says why not. */
function checkTarget(dataDir: string, target: string): string {
  if (target.trim() === '') throw new SvError('SV_ERR_CLI_USAGE', 'file: missing (where to write the backup)', ['file: missing']);
  const file = resolve(target);
  const dir = dirname(file);
  if (!existsSync(dir)) throw usage(target, `its directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw usage(target, `${dir} is not a directory`);
  // Nothing inside the data dir: its files are the gateway's (the lock is a SQLite file too), and a
  // backup beside the store is lost with the disk it is meant to outlive.
  const own = gatewayFileAt(dataDir, file);
  if (own === "the gateway's live store") throw usage(target, "is the gateway's live store; write the backup somewhere else");
  if (isInsideDataDir(dataDir, file))
    throw usage(target, `is inside the gateway's data dir ${realPath(dataDir)}${own ? ` (${own})` : ''}; write the backup somewhere else`);
  const problem = overwriteProblem(file, { kind: 'a SQLite database', is: isSqliteFile });
  if (problem !== undefined) throw usage(target, problem);
  return file; // nothing yet, or an earlier backup: replaced
}

/** SQLite's file header (an empty file counts: SQLite would make it a database). */
function isSqliteFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    return n === 0 || head.toString('latin1') === 'SQLite format 3\0';
  } finally {
    closeSync(fd);
  }
}
