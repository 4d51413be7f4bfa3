import type { DesiredHandler } from '../../gateway/relay/index.js';
import type { ControlLoop } from '../../gateway/runtime/control-loop.js';
import type { CookSpec } from '../../shared/cook.js';

/**
 * Applies the cloud's desired cooks to the gateway's control loop, for the demo only, and only
 * when the gateway has not wired its own downlink handler (gateway/relay: `relay.onDesired`).
 * Rule (a simplified docs/sync.md): a cook the cloud wants and the kit does not run is started
 * with actor `cloud`; a cloud "no cook" stops only a cook that came from the cloud.
 */
export function demoDownlink(control: () => ControlLoop): DesiredHandler {
  const fromCloud = new Map<string, string>(); // deviceId → cloud cook id applied here
  const same = (a: CookSpec, b: CookSpec) => JSON.stringify(a) === JSON.stringify(b);
  return async (desired) => {
    const loop = control();
    for (const d of desired.devices) {
      const cook = loop.view(d.deviceId)?.cook ?? null;
      const active = cook !== null && cook.state !== 'stopped' ? cook : null;
      if (d.cook === null) {
        if (active && fromCloud.has(d.deviceId)) loop.stopCook(d.deviceId, { type: 'cloud' }, 'stopped from the cloud');
        fromCloud.delete(d.deviceId);
        continue;
      }
      // Already running (also after a restart, when the cloud sends its state again): nothing to do.
      if (active && same(active.spec, d.cook.spec)) {
        fromCloud.set(d.deviceId, d.cook.id);
        continue;
      }
      const r = loop.startCook(d.deviceId, d.cook.spec, { type: 'cloud' });
      if (r.ok) fromCloud.set(d.deviceId, d.cook.id);
    }
  };
}
