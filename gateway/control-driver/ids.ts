import { randomBytes } from 'node:crypto';

/** Sortable, unique ids for events, audit records, cooks and commands (≤ 40 chars, topic-safe). */
export function newId(prefix: string, now = Date.now()): string {
  return `${prefix}-${now.toString(36)}${randomBytes(6).toString('base64url')}`;
}
