import type { CookView, Kit } from './model.js';

/** Formatting shared by the views; every status is a word, never a colour alone (accessibility). */
export const temp = (c: number | null | undefined) => (c === null || c === undefined ? '—' : `${c.toFixed(1)} °C`);

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hh = Math.floor(m / 60);
  return `${hh} h ${String(m % 60).padStart(2, '0')} min`;
}

export const time = (ts: number) => new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
export const dateTime = (ts: number) =>
  new Date(ts).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function heater(k: Kit): string {
  return k.heater === null ? '—' : k.heater ? 'on' : 'off';
}

/**
 * Time left of a timed cook. The engine starts the timer when the bath reaches the target (the
 * "reached" event), so before that the answer is "starts at target".
 */
export function timeLeft(cook: CookView | null, reachedTs: number | null, now: number): string {
  if (!cook || cook.state === 'stopped') return '—';
  if (cook.state === 'done') return 'done';
  if (cook.durationMin === null) return 'no timer';
  if (cook.state === 'heating' || reachedTs === null) return `${cook.durationMin} min once at target`;
  return duration(reachedTs + cook.durationMin * 60_000 - now);
}

export function cookLabel(cook: CookView | null): string {
  if (!cook || cook.state === 'stopped') return 'no cook';
  const what = `${cook.state} to ${temp(cook.targetC)}${cook.food ? ` (${cook.food})` : ''}`;
  return cook.pending ? `${what}: ${cook.pending}` : what;
}

/** A kit whose last reading is older than this is shown as silent even if the API still says online. */
export const STALE_MS = 15_000;
export function onlineLabel(k: Kit, now: number): { text: string; ok: boolean } {
  if (!k.online) return { text: 'offline', ok: false };
  if (k.lastTs !== null && now - k.lastTs > STALE_MS) return { text: `silent ${duration(now - k.lastTs)}`, ok: false };
  return { text: 'online', ok: true };
}
