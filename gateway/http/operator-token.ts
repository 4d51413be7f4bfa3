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

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
