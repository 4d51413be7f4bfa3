import { createHash, randomBytes } from 'node:crypto';

/**
 * Gateway tokens and API keys: 256 random bits, shown once, stored as SHA-256 (docs/adr/012-hashed-tokens.md).
 * A fast hash is enough because the secret is random, not a password: there is nothing to guess.
 */
export function newSecret(prefix: 'svg' | 'svk' | 'svi' | 'svs'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}
