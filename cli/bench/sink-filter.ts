import type { SinkName } from '../../cloud/metrics.js';
import type { Stores } from '../../cloud/stores/types.js';

/**
 * The cloud's stores with only `sinks` writing ingested batches (`sousvide bench cloud`, "each sink
 * alone"): the others accept a batch without writing it. Everything else (gateways, desired state,
 * queries) goes to the real stores.
 */
export function onlySinks(stores: Stores, sinks: readonly SinkName[]): Stores {
  const off = (s: SinkName) => !sinks.includes(s);
  return {
    telemetry: off('influx') ? replacing(stores.telemetry, 'write', async () => undefined) : stores.telemetry,
    state: off('redis') ? replacing(stores.state, 'apply', async () => {}) : stores.state,
    meta: off('mysql') ? replacing(stores.meta, 'ingest', async () => ({ inserted: 0, duplicates: 0, alarms: [] })) : stores.meta,
  };
}

/** `target` with one method replaced; the others run on the target itself (private fields and all). */
function replacing<T extends object, K extends keyof T>(target: T, key: K, method: T[K]): T {
  return new Proxy(target, {
    get(t, p) {
      if (p === key) return method;
      const v = Reflect.get(t, p);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}
