import { MAX_TARGET_C } from '../../shared/cook.js';
import { SvError } from '../../shared/errors.js';
import type { WatchdogConfig } from '../control/config.js';
import { checkCookSpec } from '../control/watchdog/index.js';

/**
 * A target above the schema's bound (95 °C) is refused with this gateway's limit (`at most 87 °C
 * on this gateway …`) rather than the schema's: asked for 200 °C, an operator learns the limit
 * that holds here, not one that would refuse 90 next.
 */
export function refuseTargetAboveGateway(body: unknown, watchdog: WatchdogConfig): void {
  const targetC = (body as { targetC?: unknown } | null | undefined)?.targetC;
  // At or under the schema's bound the control core judges it (and audits a refusal).
  if (typeof targetC !== 'number' || !Number.isFinite(targetC) || targetC <= MAX_TARGET_C) return;
  const check = checkCookSpec({ targetC, lowTempOverride: true }, watchdog);
  if (!check.ok && check.field === 'targetC') throw new SvError('SV_ERR_VALIDATION', 'invalid body', [`body.targetC: ${check.reason}`]);
}
