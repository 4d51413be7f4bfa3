import { hash, verify } from '@node-rs/argon2';
import { SvError } from '../../shared/errors.js';

/**
 * Passwords: a policy (length, not the e-mail, not a common password), then Argon2id through
 * @node-rs/argon2 (a maintained binding). Only the encoded hash is stored; the password is never
 * logged or returned.
 */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;
const COMMON = new Set([
  'password1234',
  'passwordpassword',
  '123456789012',
  '1234567890123',
  'qwertyuiopas',
  'letmeinletmein',
  'iloveyou1234',
  'administrator',
  'sousvidesousvide',
  'correcthorsebatterystaple',
]);

/** The policy's verdict: `field: reason` lines, empty when the password is acceptable. */
export function passwordProblems(password: string, email: string, field = 'password'): string[] {
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN) problems.push(`${field}: at least ${PASSWORD_MIN} characters`);
  if (password.length > PASSWORD_MAX) problems.push(`${field}: at most ${PASSWORD_MAX} characters`);
  const lower = password.toLowerCase();
  if (lower === email.toLowerCase() || lower === email.split('@')[0]?.toLowerCase()) problems.push(`${field}: must not be the e-mail`);
  if (COMMON.has(lower) || /^(.)\1+$/.test(password)) problems.push(`${field}: too common`);
  return problems;
}

export function requirePolicy(password: string, email: string, field = 'password'): void {
  const problems = passwordProblems(password, email, field);
  if (problems.length > 0) throw new SvError('SV_ERR_VALIDATION', 'the password does not meet the policy', problems);
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
}

/** A dummy hash to verify against when the account does not exist: the answer takes as long either way. */
let dummy: Promise<string> | undefined;
export async function verifyPassword(encoded: string | null, password: string): Promise<boolean> {
  if (encoded === null) {
    dummy ??= hashPassword('not-a-password-of-anyone');
    await verify(await dummy, password).catch(() => false);
    return false;
  }
  return verify(encoded, password).catch(() => false);
}
