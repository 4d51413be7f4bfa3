import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';

/** The gateway's SQLite store in its data dir. */
export const STORE_FILE = 'gateway.sqlite';

/**
 * What the gateway keeps in its data dir, by path, so that a command that writes a file the user
 * named (`gateway backup`, `gateway token`) never writes over one of them. The lock is a SQLite
 * file too, so a check by content alone would let it through; a check by path does not.
 */
const OWN_FILES: ReadonlyArray<readonly [name: string, what: string]> = [
  [STORE_FILE, "the gateway's live store"],
  [`${STORE_FILE}-wal`, "the gateway's live store"],
  [`${STORE_FILE}-shm`, "the gateway's live store"],
  [`${STORE_FILE}-journal`, "the gateway's live store"],
  ['gateway.lock', "the gateway's lock file"],
  ['gateway.lock-journal', "the gateway's lock file"],
  ['gateway.json', "the running gateway's description (gateway.json)"],
  ['presets.json', "the gateway's cook presets"],
];
const OWN_DIRS: ReadonlyArray<readonly [name: string, what: string]> = [
  ['tls', "the gateway's TLS keys and certificates"],
  ['devices', "the kits' certificate bundles"],
];

/** The real path of `file` (symlinks and `..` resolved), also when it does not exist yet. */
export function realPath(file: string): string {
  const abs = resolve(file);
  if (existsSync(abs)) return realpathSync(abs);
  const dir = dirname(abs);
  return dir === abs ? abs : join(realPath(dir), basename(abs));
}

/** `file` relative to the data dir when it is inside it (both real paths), else undefined. */
function inside(dataDir: string, file: string): string | undefined {
  const rel = relative(realPath(dataDir), realPath(file));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep)) ? rel : undefined;
}

/** Which of the gateway's own files `file` is (its store, lock, TLS files, …), or undefined. */
export function gatewayFileAt(dataDir: string, file: string): string | undefined {
  const rel = inside(dataDir, file);
  if (rel === undefined) return undefined;
  if (rel === '') return "the gateway's data dir";
  const own = OWN_FILES.find(([name]) => name === rel);
  if (own) return own[1];
  const top = rel.split(sep)[0];
  return OWN_DIRS.find(([name]) => name === top)?.[1];
}

/** Whether `file` is anywhere inside the data dir (real paths: a symlink or `..` does not hide it). */
export function isInsideDataDir(dataDir: string, file: string): boolean {
  return inside(dataDir, file) !== undefined;
}
