import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { SvError } from '../../shared/errors.js';

/**
 * A notification channel's config sealed at rest (ADR 076): AES-256-GCM with a random 12-byte IV,
 * its tag, and the channel id as associated data (a sealed value copied onto another channel's
 * row does not open). Stored as `sv1:<iv>.<tag>.<ciphertext>` (base64url). A stored value that is
 * plain JSON (it starts with `{`: written before notify.secretsKey was set) is read as it is.
 * A value opens with notify.secretsKey or, while it is being rotated, with one of
 * notify.previousSecretsKeys (ADR 077): GCM authenticates, so a wrong key fails cleanly.
 * Pure: no I/O; errors never carry a key or the ciphertext.
 */
const PREFIX = 'sv1:';
const INFO = 'sousvide notify channel config v1';
const SALT = 'sousvide.notify.secretsKey';

/** The derived keys: `current` (notify.secretsKey) seals and opens; `previous` only open. */
export interface ChannelKeys {
  readonly current: Buffer | null;
  readonly previous: readonly Buffer[];
}

export const NO_KEYS: ChannelKeys = { current: null, previous: [] };

/** Which key a stored value opened with: none (`plain` JSON), notify.secretsKey, or a previous key. */
export type OpenedWith = 'plain' | 'current' | 'previous';

/** The 32-byte key derived (HKDF-SHA256) from notify.secretsKey; null when it is unset. */
export function channelKey(secretsKey: string | undefined): Buffer | null {
  if (secretsKey === undefined) return null;
  return Buffer.from(hkdfSync('sha256', secretsKey, SALT, INFO, 32));
}

/** notify.secretsKey and notify.previousSecretsKeys derived. */
export function channelKeys(secretsKey: string | undefined, previousSecretsKeys: readonly string[] = []): ChannelKeys {
  return { current: channelKey(secretsKey), previous: previousSecretsKeys.map((k) => channelKey(k) as Buffer) };
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

export function seal(json: string, key: Buffer, channelId: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(channelId, 'utf8'));
  const body = Buffer.concat([c.update(json, 'utf8'), c.final()]);
  return `${PREFIX}${iv.toString('base64url')}.${c.getAuthTag().toString('base64url')}.${body.toString('base64url')}`;
}

/** The config's JSON; throws SV_ERR_CONFIG_INVALID naming notify.secretsKey when it cannot be opened. */
export function open(stored: string, keys: ChannelKeys, channelId: string): string {
  return openWith(stored, keys, channelId).json;
}

/**
 * The config's JSON and the key it opened with: notify.secretsKey first, then each previous key in
 * order. Throws SV_ERR_CONFIG_INVALID naming notify.secretsKey when none opens it.
 */
export function openWith(stored: string, keys: ChannelKeys, channelId: string): { json: string; with: OpenedWith } {
  if (stored.startsWith('{')) return { json: stored, with: 'plain' };
  if (!isSealed(stored)) throw unreadable(channelId, 'is neither JSON nor sealed');
  if (keys.current === null) throw unreadable(channelId, 'is sealed and notify.secretsKey is not set');
  const current = tryOpen(stored, keys.current, channelId);
  if (current !== null) return { json: current, with: 'current' };
  for (const key of keys.previous) {
    const json = tryOpen(stored, key, channelId);
    if (json !== null) return { json, with: 'previous' };
  }
  const tried = keys.previous.length === 0 ? 'notify.secretsKey' : 'notify.secretsKey or any of notify.previousSecretsKeys';
  throw unreadable(channelId, `does not open with ${tried} (a wrong key, or the value was altered)`);
}

/** The JSON, or null when the value does not open with this key (wrong key, altered, malformed). */
function tryOpen(stored: string, key: Buffer, channelId: string): string | null {
  const [iv, tag, body] = stored.slice(PREFIX.length).split('.');
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv ?? '', 'base64url'));
    d.setAAD(Buffer.from(channelId, 'utf8'));
    d.setAuthTag(Buffer.from(tag ?? '', 'base64url'));
    return Buffer.concat([d.update(Buffer.from(body ?? '', 'base64url')), d.final()]).toString('utf8');
  } catch {
    return null;
  }
}

function unreadable(channelId: string, why: string): SvError {
  const m = `channel ${channelId}'s config ${why}`;
  return new SvError('SV_ERR_CONFIG_INVALID', m, [`notify.secretsKey: ${m}`]);
}
