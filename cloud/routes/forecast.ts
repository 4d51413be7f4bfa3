import type { z } from 'zod';
import type { Forecast } from '../../shared/api/resources.js';
import { cookIdOf } from '../../shared/relay/cook-id.js';
import type { CookRow, MetaStore, Scope } from '../stores/types.js';

/** The cook's outcome as the gateway last forecast it (docs/food-safety.md); epoch ms or null. */
export type CloudForecast = z.infer<typeof Forecast>;

const NONE: CloudForecast = { readyAt: null, readyBand: null, doneAt: null, safeAt: null, safety: null };

function msOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function objectOrNull<T>(v: unknown): T | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as T) : null;
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
    readyBand: objectOrNull(ev.data.readyBand),
    doneAt: msOrNull(ev.data.doneAt),
    safeAt: msOrNull(ev.data.safeAt),
    safety: objectOrNull(ev.data.safety),
  };
}
