import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local API's operator token: random, shown once by `sousvide gateway token`, stored only as
 * its SHA-256 (a 192-bit random token needs no slow hash). The file is read per request, so a new
 * token applies at once without restarting the gateway.
 */
export function tokenFilePath(dataDir: string, configured?: string): string {
  return configured ?? join(dataDir, 'operator-token.sha256');
}

export function issueOperatorToken(file: string): string {
  const token = `svo_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${sha256(token)}\n`, { mode: 0o600 });
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
