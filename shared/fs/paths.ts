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
};

/**
 * Makes a directory (and its parents) the user named, with `mode` applied also when it existed,
 * or throws one line naming `label` (a config key or a flag) and the reason, never a stack.
 */
export function makeDir(dir: string, label: string, o: { mode?: number; code?: ErrorCode } = {}): void {
  try {
    mkdirSync(dir, { recursive: true, ...(o.mode === undefined ? {} : { mode: o.mode }) });
    if (o.mode !== undefined) chmodSync(dir, o.mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    const reason = PATH_REASONS[code] ?? (err as Error).message;
    throw new SvError(o.code ?? 'SV_ERR_STARTUP', `${label} ${dir}: ${reason} (${code})`, [`${label}: ${reason}`]);
  }
}

/**
 * Checks, before a long run, that a file the user named can be written at its end: its directory
 * exists and the path is not a directory. Throws one line naming `label` and the reason.
 */
export function checkWritableFile(file: string, label: string, code: ErrorCode = 'SV_ERR_CLI_USAGE'): void {
  const dir = dirname(resolve(file));
  const fail = (reason: string) => new SvError(code, `${label} ${file}: ${reason}`, [`${label}: ${reason}`]);
  if (!existsSync(dir)) throw fail(`its directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw fail(`${dir} is not a directory`);
  if (existsSync(file) && statSync(file).isDirectory()) throw fail('is a directory, not a file');
}
