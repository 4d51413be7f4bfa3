import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { SvError } from '../../shared/errors.js';

/**
 * A notification channel's config sealed at rest (ADR 076): AES-256-GCM with a random 12-byte IV,
 * its tag, and the channel id as associated data (a sealed value copied onto another channel's
 * row does not open). Stored as `sv1:<iv>.<tag>.<ciphertext>` (base64url). A stored value that is
 * plain JSON (it starts with `{`: written before notify.secretsKey was set) is read as it is.
 * Pure: no I/O; errors never carry the key or the ciphertext.
 */
const PREFIX = 'sv1:';
const INFO = 'sousvide notify channel config v1';
const SALT = 'sousvide.notify.secretsKey';

/** The 32-byte key derived (HKDF-SHA256) from notify.secretsKey; null when it is unset. */
export function channelKey(secretsKey: string | undefined): Buffer | null {
  if (secretsKey === undefined) return null;
  return Buffer.from(hkdfSync('sha256', secretsKey, SALT, INFO, 32));
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
export function open(stored: string, key: Buffer | null, channelId: string): string {
  if (stored.startsWith('{')) return stored;
  if (!isSealed(stored)) throw unreadable(channelId, 'is neither JSON nor sealed');
  if (key === null) throw unreadable(channelId, 'is sealed and notify.secretsKey is not set');
  const [iv, tag, body] = stored.slice(PREFIX.length).split('.');
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv ?? '', 'base64url'));
    d.setAAD(Buffer.from(channelId, 'utf8'));
    d.setAuthTag(Buffer.from(tag ?? '', 'base64url'));
    return Buffer.concat([d.update(Buffer.from(body ?? '', 'base64url')), d.final()]).toString('utf8');
  } catch {
    throw unreadable(channelId, 'does not open with notify.secretsKey (a wrong key, or the value was altered)');
  }
}

function unreadable(channelId: string, why: string): SvError {
  const m = `channel ${channelId}'s config ${why}`;
  return new SvError('SV_ERR_CONFIG_INVALID', m, [`notify.secretsKey: ${m}`]);
}
