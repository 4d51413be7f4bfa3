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
