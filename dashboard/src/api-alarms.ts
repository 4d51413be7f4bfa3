import type { Call } from './http.js';
import type { AlarmItem, AlarmsApi } from './model.js';

/** Alarms: the same routes and shapes on the cloud and the gateway (GET /v1/alarms, POST /v1/alarms/{id}/ack). */
export function alarmsApi(call: Call): AlarmsApi {
  return {
    async list(q) {
      const params = new URLSearchParams({ limit: String(q.limit), ...(q.state ? { state: q.state } : {}) });
      return (await call<{ items: AlarmItem[] }>('GET', `/v1/alarms?${params}`)).items;
    },
    async acknowledge(id, note) {
      return call<AlarmItem>('POST', `/v1/alarms/${encodeURIComponent(id)}/ack`, note ? { note } : {});
    },
  };
}
