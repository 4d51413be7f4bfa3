import type { Preset, PresetSpec } from '../../../shared/presets.js';
import type { Page, PageRequest, Scope } from '../types.js';
import type { Dialect, SqlDriver } from './driver.js';

/**
 * The org's cook presets (MySQL/MariaDB or SQLite, same SQL). A preset belongs to the org, not to
 * one gateway: a key limited to a gateway sees and edits its org's presets (scope.orgId only).
 */
const UPSERT: Record<Dialect, string> = {
  mysql: 'ON DUPLICATE KEY UPDATE spec = VALUES(spec), updated_ts = VALUES(updated_ts)',
  sqlite: 'ON CONFLICT(org_id, name) DO UPDATE SET spec = excluded.spec, updated_ts = excluded.updated_ts',
};

function presetRow(r: Record<string, unknown>): Preset {
  return { name: String(r.name), spec: JSON.parse(String(r.spec)) as PresetSpec, updatedTs: Number(r.updated_ts) };
}

export async function listPresets(d: SqlDriver, scope: Scope, page: PageRequest): Promise<Page<Preset>> {
  const after = page.after?.[0];
  const rows = await d.query(
    `SELECT name, spec, updated_ts FROM presets WHERE org_id = ?${after === undefined ? '' : ' AND name > ?'} ORDER BY name LIMIT ${page.limit + 1}`,
    after === undefined ? [scope.orgId] : [scope.orgId, String(after)],
  );
  const items = rows.slice(0, page.limit).map(presetRow);
  const last = items[items.length - 1];
  return { items, next: rows.length > page.limit && last ? [last.name] : null };
}

export async function getPreset(d: SqlDriver, scope: Scope, name: string): Promise<Preset | null> {
  const rows = await d.query('SELECT name, spec, updated_ts FROM presets WHERE org_id = ? AND name = ?', [scope.orgId, name]);
  return rows[0] ? presetRow(rows[0]) : null;
}

export async function putPreset(d: SqlDriver, scope: Scope, name: string, spec: PresetSpec, nowMs: number): Promise<Preset> {
  await d.run(`INSERT INTO presets (org_id, name, spec, updated_ts) VALUES (?, ?, ?, ?) ${UPSERT[d.dialect]}`, [
    scope.orgId,
    name,
    JSON.stringify(spec),
    nowMs,
  ]);
  return { name, spec, updatedTs: nowMs };
}

export async function deletePreset(d: SqlDriver, scope: Scope, name: string): Promise<boolean> {
  return (await d.run('DELETE FROM presets WHERE org_id = ? AND name = ?', [scope.orgId, name])).affected > 0;
}
