import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SvError } from '../../shared/errors.js';
import { writableFileProblem } from '../../shared/fs/paths.js';

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
 * undefined: its directory must exist, and the path must be a file (or nothing yet) that can be
 * read. Checked at start and by `sousvide gateway token`, so neither fails later on it.
 */
export function tokenFileProblem(file: string): string | undefined {
  let reason = writableFileProblem(file);
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

/** Writes a new token's digest to `file` (the old token stops working); returns the token, shown once. */
export function issueOperatorToken(file: string): string {
  const problem = tokenFileProblem(file);
  if (problem !== undefined) throw tokenFileError(problem);
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
