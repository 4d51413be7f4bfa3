import { SvError } from '../../shared/errors.js';
import type { MetaStore, Scope } from '../stores/types.js';

/**
 * A cook above the highest target the kit's gateway accepts (as that gateway last reported it,
 * `X-Sousvide-Max-Target-C`) is refused here, as the gateway would refuse it: the user hears it now,
 * not through a cook that never starts. `field`: `body.targetC`, or `preset.targetC` for a preset.
 * A gateway that never reported its limit (an older one) leaves the check to the gateway.
 */
export async function refuseAboveGatewayTarget(
  meta: MetaStore,
  scope: Scope,
  deviceId: string,
  targetC: number,
  field: string,
): Promise<void> {
  const device = await meta.getDevice(scope, deviceId);
  if (!device) return; // unknown here: the caller answers 404
  const max = (await meta.getGateway({ orgId: device.orgId }, device.gatewayId))?.maxTargetC ?? null;
  if (max === null || targetC <= max) return;
  throw new SvError('SV_ERR_VALIDATION', 'invalid body', [
    `${field}: at most ${max} °C on gateway ${device.gatewayId} (its control.maxC less the overshoot margin)`,
  ]);
}
