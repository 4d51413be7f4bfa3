import { cookIdOf } from '../../../shared/relay/cook-id.js';
import type { Cook } from '../types.js';
import type { SqlDriver } from './driver.js';

const RUNNING = new Set(['heating', 'holding']);
const STATE_RANK: Record<string, number> = { heating: 0, holding: 1, done: 2, stopped: 2 };

/**
 * The cloud's side of the sync rule (docs/sync.md): a cook changed at the kitchen becomes the
 * desired cook of its device when its stamp (`updatedTs`: when it was started, changed or stopped)
 * is later than the desired entry's; a tie goes to the cloud. A cook that ends (done, stopped)
 * with the stamp of the desired cook ends the desired entry too (`spec` null). The decision is by
 * stamp, never by arrival order: replays and batches landing out of order give the same result.
 * Any change bumps the gateway's desired version, so the gateway hears that the cloud adopted its
 * cook (and may then let a cloud stop end it). Runs inside the ingest transaction, after the
 * gateway row is locked (the same lock order as setDesiredCook: device, gateway, desired cook).
 * Returns how many devices' desired entries changed.
 */
export async function adoptCooks(d: SqlDriver, gatewayId: string, orgId: string, cooks: readonly Cook[]): Promise<number> {
  if (cooks.length === 0) return 0;
  const byDevice = new Map<string, Cook[]>();
  for (const c of cooks) byDevice.set(c.deviceId, [...(byDevice.get(c.deviceId) ?? []), c]);
  const lock = d.dialect === 'mysql' ? ' FOR UPDATE' : '';
  const changed: { deviceId: string; cookId: string; spec: string | null; updatedTs: number }[] = [];
  for (const deviceId of [...byDevice.keys()].sort()) {
    const rows = await d.query<{ cook_id: string; spec: string | null; updated_ts: number }>(
      `SELECT cook_id, spec, updated_ts FROM desired_cooks WHERE device_id = ?${lock}`,
      [deviceId],
    );
    let cur = rows[0] ? { cookId: String(rows[0].cook_id), spec: rows[0].spec, updatedTs: Number(rows[0].updated_ts) } : undefined;
    let moved = false;
    const records = [...(byDevice.get(deviceId) as Cook[])].sort(
      (a, b) => a.updatedTs - b.updatedTs || (STATE_RANK[a.state] ?? 0) - (STATE_RANK[b.state] ?? 0),
    );
    for (const r of records) {
      const cookId = cookIdOf(r);
      const running = RUNNING.has(r.state);
      const newer = cur === undefined || r.updatedTs > cur.updatedTs;
      const endsDesired = cur !== undefined && cookId === cur.cookId && r.updatedTs >= cur.updatedTs && !running && cur.spec !== null;
      if (!newer && !endsDesired) continue;
      const spec = running ? JSON.stringify(r.spec) : null;
      if (cur && cur.cookId === cookId && cur.spec === spec && (spec === null || cur.updatedTs === r.updatedTs)) continue;
      cur = { cookId, spec, updatedTs: r.updatedTs };
      moved = true;
    }
    if (moved && cur) changed.push({ deviceId, ...cur });
  }
  if (changed.length === 0) return 0;
  await d.run('UPDATE gateways SET desired_version = desired_version + 1 WHERE id = ?', [gatewayId]);
  const version = Number((await d.query<{ v: number }>('SELECT desired_version AS v FROM gateways WHERE id = ?', [gatewayId]))[0]?.v ?? 0);
  const upsert =
    d.dialect === 'mysql'
      ? `ON DUPLICATE KEY UPDATE gateway_id = VALUES(gateway_id), cook_id = VALUES(cook_id), version = VALUES(version),
        spec = VALUES(spec), updated_ts = VALUES(updated_ts)`
      : `ON CONFLICT(device_id) DO UPDATE SET gateway_id = excluded.gateway_id, cook_id = excluded.cook_id,
        version = excluded.version, spec = excluded.spec, updated_ts = excluded.updated_ts`;
  for (const c of changed) {
    await d.run(
      `INSERT INTO desired_cooks (device_id, gateway_id, org_id, cook_id, version, spec, updated_ts) VALUES (?, ?, ?, ?, ?, ?, ?) ${upsert}`,
      [c.deviceId, gatewayId, orgId, c.cookId, version, c.spec, c.updatedTs],
    );
  }
  return changed.length;
}
