import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SvError } from '../../shared/errors.js';
import { overwriteProblem, writableFileProblem } from '../../shared/fs/paths.js';
import { gatewayFileAt } from '../store/data-dir.js';

/**
 * The local API's operator token: random, shown once by `sousvide gateway token`, stored only as
 * its SHA-256 (a 192-bit random token needs no slow hash). The file is read per request, so a new
 * token applies at once without restarting the gateway.
 */
export function tokenFilePath(dataDir: string, configured?: string): string {
  return configured ?? join(dataDir, 'operator-token.sha256');
}

/**
 * What is wrong with the token file's path, as a `http.tokenFile: <path>: <reason>` line, or
 * undefined: its directory must exist, the path must be a file (or nothing yet) that can be read,
 * and it must not be one of the gateway's own files in `dataDir` (its store, lock, TLS keys):
 * a token written there would destroy it. Checked at start and by `sousvide gateway token`, so
 * neither fails later on it.
 */
export function tokenFileProblem(file: string, dataDir?: string): string | undefined {
  let reason = writableFileProblem(file);
  const own = reason === undefined && dataDir !== undefined ? gatewayFileAt(dataDir, file) : undefined;
  if (own !== undefined) reason = `is ${own}, not a token file; choose another path`;
  if (reason === undefined && existsSync(file)) {
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      reason = `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'unknown'})`;
    }
  }
  return reason === undefined ? undefined : `http.tokenFile: ${file}: ${reason}`;
}

function tokenFileError(line: string): SvError {
  return new SvError('SV_ERR_CONFIG_INVALID', line, [line]);
}

/**
 * A token file of this format, which a new token may replace: empty, one SHA-256 digest (hex), or
 * an operator token pasted in by mistake (the start-up log's "malformed", which a new token fixes).
 * Anything else (a database, a key, a config file) is not ours to overwrite.
 */
function isTokenFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(129);
    const text = head
      .subarray(0, readSync(fd, head, 0, head.length, 0))
      .toString('latin1')
      .trim();
    return text === '' || /^[0-9a-f]{64}$/i.test(text) || /^svo_[A-Za-z0-9_-]{32}$/.test(text);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a new token's digest to `file` (the old token stops working); returns the token, shown
 * once. Refused, with nothing written: a path that is one of the gateway's files in `dataDir`, and
 * an existing file that is not a token file (isTokenFile).
 */
export function issueOperatorToken(file: string, dataDir?: string): string {
  const problem = tokenFileProblem(file, dataDir);
  if (problem !== undefined) throw tokenFileError(problem);
  const other = overwriteProblem(file, { kind: 'an operator token file (one SHA-256 digest)', is: isTokenFile });
  if (other !== undefined) throw tokenFileError(`http.tokenFile: ${file}: ${other}`);
  const token = `svo_${randomBytes(24).toString('base64url')}`;
  try {
    writeFileSync(file, `${sha256(token)}\n`, { mode: 0o600 });
  } catch (err) {
    throw tokenFileError(`http.tokenFile: ${file}: cannot be written (${(err as NodeJS.ErrnoException).code ?? 'unknown'})`);
  }
  return token;
}

export function checkOperatorToken(file: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  let stored: string;
  try {
    stored = readFileSync(file, 'utf8').trim();
  } catch {
    return false; // no token issued yet: the local API is closed
  }
  const a = Buffer.from(sha256(presented), 'hex');
  const b = Buffer.from(stored, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * What the token file holds, for the start-up log: `none` (no token issued: the local API refuses
 * every request until `sousvide gateway token`), `ok`, or `malformed` (not a SHA-256 digest, e.g.
 * the token itself pasted into the file, so no token can ever match).
 */
export function tokenFileState(file: string): 'none' | 'ok' | 'malformed' {
  let stored: string;
  try {
    stored = readFileSync(file, 'utf8').trim();
  } catch {
    return 'none';
  }
  return /^[0-9a-f]{64}$/i.test(stored) ? 'ok' : 'malformed';
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
