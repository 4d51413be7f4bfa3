import type { Logger } from '../../shared/log.js';
import { type DesiredHandler, resolveCook } from '../relay/downlink.js';
import type { ControlLoop } from './control-loop.js';

/**
 * Applies the cloud's desired state through the same path as the local API (audited with actor
 * `cloud`), device by device, with the sync rule of docs/sync.md. A cook the gateway refuses (e.g.
 * a low-temperature cook without its override) is audited and skipped, not retried forever.
 */
export function applyDesired(loop: ControlLoop, log: Logger): DesiredHandler {
  return async (desired) => {
    for (const d of desired.devices) {
      const decision = resolveCook(loop.localCook(d.deviceId), d.cook);
      if (decision.action === 'apply') {
        const c = decision.cook;
        const r = loop.startCook(d.deviceId, c.spec, { type: 'cloud' }, { id: c.id, version: c.version, updatedTs: c.updatedTs });
        if (!r.ok) log.warn({ deviceId: d.deviceId, reason: r.reason }, 'cloud cook refused');
      } else if (decision.action === 'stop') {
        loop.stopCook(d.deviceId, { type: 'cloud' }, 'stopped by the cloud');
      } else if (decision.why === 'same' && d.cook) {
        loop.markCloudKnown(d.deviceId, d.cook.id); // the cloud adopted our cook: from now on it may stop it
      }
    }
  };
}
