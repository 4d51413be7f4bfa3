import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashSecret } from './tokens.js';

/**
 * Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"; ADR 075): after a
 * successful login the browser keeps a signed cookie naming the user. A login that carries a valid
 * one for the account it logs into is from a browser that knew the password before: its failures
 * are counted for that cookie alone, and the account's lockout does not stop it. Anyone else who
 * knows the e-mail can still lock the account against guessing, but no longer its owner out.
 */
export const DEVICE_COOKIE = 'sv_device';
const MAX_AGE_S = 90 * 86_400;

/** The failure-count key of the request's device cookie when it is valid for `userId`, else null. */
export function trustedDevice(req: FastifyRequest, userId: string | undefined): string | null {
  const raw = req.cookies[DEVICE_COOKIE];
  if (raw === undefined || userId === undefined) return null;
  const unsigned = req.unsignCookie(raw);
  if (!unsigned.valid || unsigned.value === null) return null;
  const dot = unsigned.value.lastIndexOf('.');
  if (dot <= 0 || unsigned.value.slice(0, dot) !== userId) return null;
  return `device:${hashSecret(unsigned.value).slice(0, 24)}`;
}

/** Gives the browser a new device cookie for the user (sent back to the login route only). */
export function setDeviceCookie(reply: FastifyReply, userId: string, secure: boolean | 'auto'): void {
  reply.setCookie(DEVICE_COOKIE, `${userId}.${randomBytes(16).toString('base64url')}`, {
    signed: true,
    httpOnly: true,
    sameSite: 'strict',
    secure,
    path: '/v1/auth/login',
    maxAge: MAX_AGE_S,
  });
}
