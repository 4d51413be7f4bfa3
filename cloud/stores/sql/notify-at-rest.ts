import { type ChannelKeys, type OpenedWith, openWith, seal } from '../../notify/sealed-config.js';
import type { ConfigKeyCounts, ConfigsAtRest } from '../types.js';
import type { SqlDriver } from './driver.js';

/**
 * The channel configs at rest (ADR 076, 077): sealing the plain ones and sealing again, with
 * notify.secretsKey, the ones that open only with a previous key; and counting which key opens
 * them. Counts only: nothing here logs or returns a value or a key.
 */

const PAGE = 500;

type Stored = { id: string; config: string };
type Found = { with: OpenedWith; json: string } | { with: 'unreadable' };

/** Every channel's id and stored config, a page at a time (by id: stable while rows are updated). */
async function* storedConfigs(d: SqlDriver): AsyncGenerator<Stored> {
  let after = '';
  for (;;) {
    const rows = await d.query<Stored>(`SELECT id, config FROM notify_channels WHERE id > ? ORDER BY id LIMIT ${PAGE}`, [after]);
    for (const r of rows) yield { id: String(r.id), config: String(r.config) };
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < PAGE) return;
    after = String(last.id);
  }
}

function find(keys: ChannelKeys, r: Stored): Found {
  try {
    return openWith(r.config, keys, r.id);
  } catch {
    return { with: 'unreadable' };
  }
}

/** Read-only: how many configs are plain, open with notify.secretsKey, only with a previous key, or with none. */
export async function configKeys(d: SqlDriver, keys: ChannelKeys): Promise<ConfigKeyCounts> {
  const out: ConfigKeyCounts = { plain: 0, current: 0, previous: 0, unreadable: 0 };
  for await (const r of storedConfigs(d)) out[find(keys, r).with] += 1;
  return out;
}

/**
 * Seals with notify.secretsKey each config stored plain or opening only with a previous key, by an
 * UPDATE conditional on its old value: of two instances starting together, one changes the row.
 * When the condition fails the row is read again and counted as it is now. SQLite keeps a replaced
 * value in the page's free space and in the WAL's older frames: it is zeroed (secure_delete) and
 * the WAL emptied, so that the file holds neither the plain config nor the one under the old key.
 * MariaDB's own files (undo log, binary log) and any dump taken before are the operator's.
 */
export async function sealAtRest(d: SqlDriver, keys: ChannelKeys): Promise<ConfigsAtRest> {
  const out: ConfigsAtRest = { sealed: 0, resealed: 0, plain: 0, previous: 0, unreadable: 0 };
  const key = keys.current;
  const count = (f: Found) => {
    if (f.with === 'plain' || f.with === 'previous' || f.with === 'unreadable') out[f.with] += 1;
  };
  let zeroing = false;
  try {
    for await (const r of storedConfigs(d)) {
      const found = find(keys, r);
      if (key === null || found.with === 'current' || found.with === 'unreadable') {
        count(found);
        continue;
      }
      if (d.dialect === 'sqlite' && !zeroing) {
        await d.query('PRAGMA secure_delete = ON');
        zeroing = true;
      }
      const next = seal(found.json, key, r.id);
      const done = await d.run('UPDATE notify_channels SET config = ? WHERE id = ? AND config = ?', [next, r.id, r.config]);
      if (done.affected > 0) {
        out[found.with === 'plain' ? 'sealed' : 'resealed'] += 1;
        continue;
      }
      // Another instance changed (or removed) it meanwhile: count what the row holds now.
      const now = await d.query<Stored>('SELECT id, config FROM notify_channels WHERE id = ?', [r.id]);
      if (now[0] !== undefined) count(find(keys, { id: r.id, config: String(now[0].config) }));
    }
  } finally {
    if (zeroing) {
      await d.query('PRAGMA secure_delete = OFF');
      await d.query('PRAGMA wal_checkpoint(TRUNCATE)');
    }
  }
  return out;
}
