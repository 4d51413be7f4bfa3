import { DEFAULT_ORG, type DeviceState, type StoredPoint, type Stores } from '../stores/types.js';

/**
 * What the stores hold for a test's kits, read back the way the API reads them: as one org's
 * kits (device ids are per org), the default org unless told. Tests assert on these.
 */
export async function pointsOf(
  stores: Pick<Stores, 'meta' | 'telemetry'>,
  deviceId: string,
  fromMs: number,
  toMs: number,
  orgId = DEFAULT_ORG,
): Promise<StoredPoint[]> {
  return stores.telemetry.points({ deviceId, gatewayIds: await stores.meta.gatewayIdsOf(orgId) }, fromMs, toMs);
}

export function latestOf(
  stores: Pick<Stores, 'state'>,
  deviceIds: readonly string[],
  nowMs: number,
  orgId = DEFAULT_ORG,
): Promise<Map<string, DeviceState>> {
  return stores.state.latest(orgId, deviceIds, nowMs);
}
