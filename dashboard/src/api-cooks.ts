import type { Call } from './http.js';
import type { Api, Bucket, CookRecord, CookSummary } from './model.js';

/** History buckets: the same route and shape on the cloud and the gateway (shared/history/buckets.ts). */
export function telemetryHistory(call: Call): NonNullable<Api['history']> {
  return async (id, fromMs, toMs, everyMs) => {
    const q = new URLSearchParams({
      from: String(Math.floor(fromMs)),
      to: String(Math.ceil(toMs)),
      every: `${Math.max(1000, Math.round(everyMs))}ms`,
    });
    return (await call<{ buckets: Bucket[] }>('GET', `/v1/devices/${encodeURIComponent(id)}/telemetry?${q}`)).buckets;
  };
}

/** Cook records and raw readings: the same routes and shapes on the cloud and the gateway. */
export function cookRecordsApi(call: Call): Pick<Api, 'cooks' | 'cook' | 'readingsCsv'> {
  return {
    async cooks(fromMs, toMs) {
      const r = await call<{
        items: {
          id: string;
          deviceId: string;
          startedTs: number;
          state: string;
          spec: { targetC: number; food?: string; foodKind?: string };
        }[];
      }>('GET', `/v1/cooks?from=${fromMs}&to=${toMs}`);
      return r.items.map(
        (c): CookSummary => ({
          id: c.id,
          deviceId: c.deviceId,
          startedTs: c.startedTs,
          state: c.state,
          targetC: c.spec.targetC,
          food: c.spec.food ?? null,
          foodKind: c.spec.foodKind ?? null,
        }),
      );
    },
    async cook(id) {
      return call<CookRecord>('GET', `/v1/cooks/${encodeURIComponent(id)}`);
    },
    async readingsCsv(deviceId, fromMs, toMs) {
      return call<string>('GET', `/v1/devices/${encodeURIComponent(deviceId)}/readings.csv?from=${fromMs}&to=${toMs}`, undefined, 'text');
    },
  };
}
