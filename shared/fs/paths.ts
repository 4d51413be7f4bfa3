import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type ErrorCode, SvError } from '../errors.js';

/** Why the file system refused a path the user gave, in words (by errno code). */
const PATH_REASONS: Record<string, string> = {
  EACCES: 'no permission to create it or to change its mode',
  EPERM: 'cannot set its mode: not owned by this user, or not a directory that allows it',
  EEXIST: 'it, or a part of its path, is a file, not a directory',
  ENOTDIR: 'a part of its path is a file, not a directory',
  EROFS: 'it is on a read-only file system',
  ENOSPC: 'the disk is full',
  // Every missing level is made in turn, so a parent that does not exist is one the file system refuses (/proc, /sys).
  ENOENT: 'cannot create it: the file system there does not allow new directories',
};

const errnoError = (code: string, path: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: ${path}`), { code, path });

/**
 * Makes `dir` and its missing parents, one level at a time, stopping at the first refusal.
 * Not `mkdirSync(dir, { recursive: true })`: on Node 20 that never returns for a path the file
 * system refuses with ENOENT (under /proc, say), spinning at full CPU and deaf to SIGTERM.
 */
function mkdirs(dir: string, mode: number | undefined): void {
  const missing: string[] = [];
  for (let p = resolve(dir); ; ) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.unshift(p);
      const parent = dirname(p);
      if (parent === p) break;
      p = parent;
      continue;
    }
    if (!isDir) throw errnoError(missing.length === 0 ? 'EEXIST' : 'ENOTDIR', p);
    break;
  }
  for (const level of missing) {
    try {
      mkdirSync(level, mode === undefined ? {} : { mode });
    } catch (err) {
      // Made meanwhile by someone else: fine if it is a directory.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(level).isDirectory()) throw err;
    }
  }
}

/**
 * Makes a directory (and its parents) the user named, with `mode` applied also when it existed,
 * or throws one line naming `label` (a config key or a flag) and the reason, never a stack.
 */
export function makeDir(dir: string, label: string, o: { mode?: number; code?: ErrorCode } = {}): void {
  try {
    mkdirs(dir, o.mode);
    if (o.mode !== undefined) chmodSync(dir, o.mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    const reason = PATH_REASONS[code] ?? (err as Error).message;
    const at = (err as NodeJS.ErrnoException).path;
    // The level that was refused, when it is a parent (an EEXIST or ENOTDIR reason already says where).
    const where = at !== undefined && resolve(at) !== resolve(dir) && code !== 'EEXIST' && code !== 'ENOTDIR' ? ` at ${at}` : '';
    throw new SvError(o.code ?? 'SV_ERR_STARTUP', `${label} ${dir}: ${reason} (${code}${where})`, [`${label}: ${reason}`]);
  }
}

/**
 * Why a file the user named cannot be written at its end, or undefined: its directory is missing
 * or not a directory, or the path is a directory. Checked before a long run or a start.
 */
export function writableFileProblem(file: string): string | undefined {
  const dir = dirname(resolve(file));
  if (!existsSync(dir)) return `its directory ${dir} does not exist`;
  if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
  if (existsSync(file) && statSync(file).isDirectory()) return 'is a directory, not a file';
  return undefined;
}

/** `writableFileProblem` thrown as one line naming `label` and the reason. */
export function checkWritableFile(file: string, label: string, code: ErrorCode = 'SV_ERR_CLI_USAGE'): void {
  const reason = writableFileProblem(file);
  if (reason !== undefined) throw new SvError(code, `${label} ${file}: ${reason}`, [`${label}: ${reason}`]);
}

/**
 * Why a command must not write its file over `file`, or undefined: it is a directory, or it exists
 * and is not a file of the command's own kind (an earlier backup, an earlier token digest), which
 * it may replace. Anything else (a database, a key, someone's notes) is left as it is.
 */
export function overwriteProblem(file: string, own: { kind: string; is(file: string): boolean }): string | undefined {
  if (!existsSync(file)) return undefined;
  if (statSync(file).isDirectory()) return 'is a directory; give a file name';
  if (!own.is(file)) return `exists and is not ${own.kind}; refusing to overwrite it`;
  return undefined;
}
