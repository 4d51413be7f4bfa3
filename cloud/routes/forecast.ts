import { cookIdOf } from '../../shared/relay/cook-id.js';
import type { CookRow, MetaStore, Scope } from '../stores/types.js';

/** The cook's outcome as the gateway last forecast it (docs/food-safety.md); epoch ms or null. */
export interface CloudForecast {
  readyAt: number | null;
  doneAt: number | null;
  safeAt: number | null;
  /** The gateway's whole forecast event (band while learning, core model, guidance), null when none. */
  forecast: { ts: number; data: Record<string, unknown> } | null;
}

const NONE: CloudForecast = { readyAt: null, doneAt: null, safeAt: null, forecast: null };

function msOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * The gateway sends its forecasts as `forecast` events; the latest one counts when it belongs to
 * the cook the gateway last reported and that cook was not stopped.
 */
export async function forecastOf(meta: MetaStore, scope: Scope, deviceId: string, reported: CookRow | null): Promise<CloudForecast> {
  if (reported === null || reported.state === 'stopped') return NONE;
  const page = await meta.listEvents(scope, { deviceId, type: 'forecast' }, { limit: 1 });
  const ev = page.items[0];
  if (!ev || ev.data.cookId !== cookIdOf(reported)) return NONE;
  return {
    readyAt: msOrNull(ev.data.readyAt),
    doneAt: msOrNull(ev.data.doneAt),
    safeAt: msOrNull(ev.data.safeAt),
    forecast: { ts: ev.ts, data: ev.data },
  };
}
