import { z } from 'zod';
import { urlWith, urlWithoutCredentials } from '../../shared/config/url.js';
import { Email } from '../auth/users.js';

/**
 * An org's notification channel as the API takes it (zod: a bad field is a 400 naming it) and as
 * it shows it: the webhook secret is stored (it signs every POST) but never shown, only whether
 * one is set; passwords in ntfy and SMTP URLs are shown as `***`. Pure.
 */
const HttpUrl = urlWith('http', 'https').max(2048);

export const ChannelSpec = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('webhook'),
    // Sent as it is: fetch refuses user:password@ (and would repeat the URL in its error).
    url: urlWithoutCredentials(
      'the receiver checks the signature made with the secret; a token may go in the path or query',
      'http',
      'https',
    ).max(2048),
    secret: z.string().min(16, 'must be at least 16 characters').max(256),
  }),
  z.strictObject({ kind: z.literal('ntfy'), url: HttpUrl }),
  z.strictObject({
    kind: z.literal('email'),
    smtpUrl: urlWith('smtp', 'smtps').max(2048),
    to: z.array(Email).min(1).max(20),
  }),
]);
export type ChannelSpec = z.output<typeof ChannelSpec>;
export type ChannelKind = ChannelSpec['kind'];
export const CHANNEL_KINDS: readonly ChannelKind[] = ['webhook', 'ntfy', 'email'];

/**
 * A stored channel. `spec` is null when its config is sealed (ADR 076) and does not open
 * (notify.secretsKey unset or wrong): `unreadable` says so; the row is still listed, so that one
 * such channel never fails the org's whole list.
 */
export interface ChannelRow {
  id: string;
  orgId: string;
  kind: ChannelKind;
  spec: ChannelSpec | null;
  unreadable?: string;
  createdMs: number;
}

/** Shown in place of the URL of a channel whose sealed config does not open. */
export const SEALED_URL = '(sealed: notify.secretsKey missing or wrong)';

/** What the API answers about a channel: never the secret, never a password. */
export type ChannelView =
  | { id: string; kind: 'webhook'; url: string; secretSet: boolean; createdMs: number }
  | { id: string; kind: 'ntfy'; url: string; createdMs: number }
  | { id: string; kind: 'email'; smtpUrl: string; to: string[]; createdMs: number }
  | { id: string; kind: ChannelKind; url: string; sealed: true; createdMs: number };

export function channelView(c: ChannelRow): ChannelView {
  const s = c.spec;
  if (s === null) return { id: c.id, kind: c.kind, url: SEALED_URL, sealed: true, createdMs: c.createdMs };
  if (s.kind === 'webhook')
    return { id: c.id, kind: s.kind, url: withoutPassword(s.url), secretSet: s.secret.length > 0, createdMs: c.createdMs };
  if (s.kind === 'ntfy') return { id: c.id, kind: s.kind, url: withoutPassword(s.url), createdMs: c.createdMs };
  return { id: c.id, kind: s.kind, smtpUrl: withoutPassword(s.smtpUrl), to: [...s.to], createdMs: c.createdMs };
}

/** The URL with its password (if any) replaced by `***`. */
export function withoutPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
