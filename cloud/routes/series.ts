import type { Scope, Series, Stores } from '../stores/types.js';

/**
 * A device's telemetry as the caller's org sees it (device ids are per org): its points from any
 * gateway of the org, whichever gateway it reports through now. A key limited to one gateway reads
 * the same series: the device check before this call is what limits it.
 */
export async function seriesOf(stores: Stores, scope: Scope, deviceId: string): Promise<Series> {
  return { deviceId, gatewayIds: await stores.meta.gatewayIdsOf(scope.orgId) };
}
