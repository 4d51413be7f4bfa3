import { adoptCook } from '../../../shared/relay/adopt.js';
import type { Cook } from '../types.js';
import type { SqlDriver } from './driver.js';

/**
 * Applies the cloud's side of the sync rule (shared/relay/adopt.ts) to the gateway's cook records
 * of one batch. Runs inside the ingest transaction, after the gateway row is locked (the same lock
 * order as setDesiredCook: device, gateway, desired cook). Any change bumps the gateway's desired
 * version, so the gateway hears that the cloud adopted its cook (and may then let a cloud stop end
 * it). Returns how many devices' desired entries changed.
 */
export async function adoptCooks(d: SqlDriver, gatewayId: string, orgId: string, cooks: readonly Cook[]): Promise<number> {
  if (cooks.length === 0) return 0;
  const byDevice = new Map<string, Cook[]>();
  for (const c of cooks) byDevice.set(c.deviceId, [...(byDevice.get(c.deviceId) ?? []), c]);
  const lock = d.dialect === 'mysql' ? ' FOR UPDATE' : '';
  const changed: { deviceId: string; cookId: string; spec: string | null; updatedTs: number }[] = [];
  // Sorted ids: the same lock order as every other batch. The org's device of each id only: another
  // org's device of the same id has its own desired cook.
  for (const deviceId of [...byDevice.keys()].sort()) {
    const rows = await d.query<{ cook_id: string; spec: string | null; updated_ts: number }>(
      `SELECT cook_id, spec, updated_ts FROM desired_cooks WHERE org_id = ? AND device_id = ?${lock}`,
      [orgId, deviceId],
    );
    const cur = rows[0] ? { cookId: String(rows[0].cook_id), spec: rows[0].spec, updatedTs: Number(rows[0].updated_ts) } : undefined;
    const next = adoptCook(cur, byDevice.get(deviceId) as Cook[]);
    if (next) changed.push({ deviceId, ...next });
  }
  if (changed.length === 0) return 0;
  await d.run('UPDATE gateways SET desired_version = desired_version + 1 WHERE id = ?', [gatewayId]);
  const version = Number((await d.query<{ v: number }>('SELECT desired_version AS v FROM gateways WHERE id = ?', [gatewayId]))[0]?.v ?? 0);
  const upsert =
    d.dialect === 'mysql'
      ? `ON DUPLICATE KEY UPDATE gateway_id = VALUES(gateway_id), cook_id = VALUES(cook_id), version = VALUES(version),
        spec = VALUES(spec), updated_ts = VALUES(updated_ts)`
      : `ON CONFLICT(org_id, device_id) DO UPDATE SET gateway_id = excluded.gateway_id, cook_id = excluded.cook_id,
        version = excluded.version, spec = excluded.spec, updated_ts = excluded.updated_ts`;
  for (const c of changed) {
    await d.run(
      `INSERT INTO desired_cooks (device_id, gateway_id, org_id, cook_id, version, spec, updated_ts) VALUES (?, ?, ?, ?, ?, ?, ?) ${upsert}`,
      [c.deviceId, gatewayId, orgId, c.cookId, version, c.spec, c.updatedTs],
    );
  }
  return changed.length;
}
