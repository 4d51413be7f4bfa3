import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Device secrets: 144 random bits, shown once at provisioning, stored only as an scrypt hash
 * (`scrypt$N$r$p$salt$hash`, base64url). The cost parameters live in each hash so they can be
 * raised later without invalidating existing kits. N = 2^11 (about 2 ms): a random 144-bit
 * secret cannot be guessed whatever the cost, while a gateway restart must verify every kit of a
 * 10k fleet within seconds (docs/adr/006-device-identity.md).
 */
export const SCRYPT = { N: 1 << 11, r: 8, p: 1, keyLen: 32 } as const;

export function generateSecret(): string {
  return `svk_${randomBytes(18).toString('base64url')}`;
}

function scryptAsync(secret: string, salt: Buffer, N: number, r: number, p: number, keyLen: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, keyLen, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLen);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time check of a presented secret against a stored hash; false for any malformed hash. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4] as string, 'base64url');
  const expected = Buffer.from(parts[5] as string, 'base64url');
  if (!Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p) || expected.length === 0) return false;
  const key = await scryptAsync(secret, salt, N, r, p, expected.length);
  return timingSafeEqual(key, expected);
}

/**
 * Fingerprint of a secret that already passed scrypt, kept in memory only, so that a kit's
 * reconnects do not each cost an scrypt (a gateway restart still verifies every kit once).
 */
export function verifiedFingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}
