import { SvError } from '../../shared/errors.js';

const DEFAULT_PORTS: Record<string, string> = { 'mysql:': '3306', 'redis:': '6379', 'rediss:': '6379', 'http:': '80', 'https:': '443' };

/**
 * A store that cannot be reached when it opens, as one line for whoever started the cloud: the
 * config key of its URL, the host and port, and the cause (`mysql.url: cannot connect to
 * 127.0.0.1:1 (ECONNREFUSED)`). A start-up error (exit 2); the URL itself, with its password, is
 * never in it.
 */
export function cannotConnect(key: string, url: string, err: unknown): SvError {
  let where = 'the server';
  try {
    const u = new URL(url);
    where = `${u.hostname}:${u.port || DEFAULT_PORTS[u.protocol] || '?'}`;
  } catch {
    // config validated the URL; keep the line without it rather than fail here
  }
  const m = `${key}: cannot connect to ${where} (${causeOf(err, url)})`;
  return new SvError('SV_ERR_STARTUP', m, [m]);
}

/** A network error by its code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT); a server's refusal (wrong password, no such database) by code and text. */
function causeOf(err: unknown, url: string): string {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && /^E[A-Z]+$/.test(code)) return code;
  if (!code && e.cause) return causeOf(e.cause, url);
  const text = scrub(typeof e.message === 'string' ? e.message : String(err), url);
  return code ? `${code}: ${text}` : text || 'no answer';
}

/** The URL's password (and the URL, which holds it) out of a driver's message. */
function scrub(text: string, url: string): string {
  let out = text.split(url).join('<url>');
  try {
    const password = decodeURIComponent(new URL(url).password);
    if (password) out = out.split(password).join('***');
  } catch {
    // no password to take out
  }
  return out.trim();
}
