import { z } from 'zod';

/**
 * A URL with one of `schemes`; a wrong one is refused with the schemes it may have
 * (`must be a URL starting with http:// or https://`), not zod's bare "Invalid URL".
 */
export function urlWith(...schemes: [string, ...string[]]) {
  const names = schemes.map((s) => `${s}://`);
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
  return z.url({ protocol: new RegExp(`^(${schemes.join('|')})$`), error: `must be a URL starting with ${list}` });
}

/** True when `url` carries `user[:password]@` (a URL that does not parse carries none). */
export function hasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}

/**
 * `urlWith(...schemes)` that also refuses `user:password@`, for a URL that is sent as it is and
 * whose receiver authenticates otherwise: fetch refuses such a URL and puts all of it, password
 * included, in its error. `where` says where credentials go instead. The URL is never echoed.
 */
export function urlWithoutCredentials(where: string, ...schemes: [string, ...string[]]) {
  return urlWith(...schemes).refine((u) => !hasCredentials(u), { error: `must not contain user:password@ (${where})` });
}
