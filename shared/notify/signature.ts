import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The webhook signature: `X-Sousvide-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`,
 * keyed with the configured secret. Receivers verify it with `verifySignature` (or its few lines
 * in docs/notifications.md) and refuse a stale `t` to stop replays.
 */
export const SIGNATURE_HEADER = 'X-Sousvide-Signature';

export function signBody(secret: string, rawBody: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export type SignatureCheck = { ok: true; t: number } | { ok: false; reason: string };

/** Checks a header against the raw body; `toleranceS` bounds the age of `t` (replays). */
export function verifySignature(
  secret: string,
  rawBody: string,
  header: string | undefined,
  nowS: number,
  toleranceS = 300,
): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing header' };
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return { ok: false, reason: 'malformed header' };
  if (Math.abs(nowS - t) > toleranceS) return { ok: false, reason: 'timestamp outside the tolerance' };
  const want = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return timingSafeEqual(want, Buffer.from(v1, 'hex')) ? { ok: true, t } : { ok: false, reason: 'signature mismatch' };
}
