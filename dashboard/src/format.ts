import type { CookView, Kit, Outcome } from './model.js';
import { tempText } from './units.js';

/**
 * Formatting shared by the views; every status is a word, never a colour alone (accessibility).
 * Temperatures in the reader's unit (units.ts).
 */
export const temp = (c: number | null | undefined) => (c === null || c === undefined ? '—' : tempText(c));

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
/** A time for a record that is printed and kept (the cook report): with the year and the time zone. */
export const fullDateTime = (ts: number) =>
  new Date(ts).toLocaleString([], {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
  });

/**
 * The heater as last reported; for a kit that is offline or silent, marked as the last known value
 * (an offline kit's heater may still be running, or not).
 */
export function heater(k: Kit, now: number = Date.now()): string {
  const v = k.heater === null ? '—' : k.heater ? 'on' : 'off';
  return k.heater !== null && stale(k, now) ? `${v} at the last reading (not current)` : v;
}

/** The temperature as last reported, marked with its age when the kit is offline or silent. */
export function reading(k: Kit, now: number): string {
  const v = k.sensor && k.sensor !== 'ok' && k.tempC === null ? `probe: ${k.sensor}` : temp(k.tempC);
  if (!stale(k, now) || k.lastTs === null) return v;
  return `${v} (last reading, ${duration(now - k.lastTs)} ago)`;
}

/** Whether the kit's last reading is no longer current (the kit is offline, or silent). */
export const stale = (k: Kit, now: number) => !onlineLabel(k, now).ok;

/**
 * Time left of a timed cook, as the API counts it: the engine starts the timer when the bath
 * reaches the target (the control's `reachedTs` on the gateway), and `doneAt` is when it ends; the
 * cloud has no control state, so once the cook holds its `doneAt` is the end. Before that: "once at target".
 */
export function timeLeft(k: Pick<Kit, 'cook' | 'reachedTs' | 'outcome'>, now: number): string {
  const cook = k.cook;
  if (!cook || cook.state === 'stopped') return '—';
  if (cook.state === 'done') return 'done';
  if (cook.durationMin === null) return 'no timer';
  if (cook.pending) return `${cook.durationMin} min once at target`;
  if (k.reachedTs !== null) return duration(k.reachedTs + cook.durationMin * 60_000 - now);
  if (cook.state === 'holding' && k.outcome.doneAt !== null) return duration(k.outcome.doneAt - now);
  return `${cook.durationMin} min once at target`;
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

/** A clock time today, or with the date when it is another day. */
export function clock(ts: number, now: number): string {
  const sameDay = new Date(ts).toDateString() === new Date(now).toDateString();
  return sameDay ? new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : dateTime(ts);
}

/** "Ready at": the forecast time, with its range while the bath model is still learning. */
export function readyText(o: Outcome, cook: CookView | null, now: number): string {
  if (!cook || cook.state === 'stopped') return '—';
  if (o.readyAt === null) return cook.state === 'heating' ? 'not yet known' : '—';
  if (cook.state !== 'heating') return `reached ${clock(o.readyAt, now)}`;
  const band = o.readyBand ? ` (${clock(o.readyBand.earliest, now)}–${clock(o.readyBand.latest, now)}, still learning this bath)` : '';
  return `${clock(o.readyAt, now)}${band}`;
}

export function doneText(o: Outcome, cook: CookView | null, now: number): string {
  if (!cook || cook.state === 'stopped') return '—';
  if (cook.durationMin === null) return 'no timer';
  if (o.doneAt === null) return 'once at target';
  return `${cook.state === 'done' ? 'finished ' : ''}${clock(o.doneAt, now)}`;
}

/** "Safe at": when the modelled core is pasteurized; always labelled as guidance. */
export function safeText(o: Outcome, cook: CookView | null, now: number): string {
  if (!cook || cook.state === 'stopped') return '—';
  const s = o.safety;
  if (s === null) return 'name the food kind and thickness to get it';
  if (s.pasteurized) return o.safeAt === null ? 'pasteurized (guidance)' : `pasteurized at ${clock(o.safeAt, now)} (guidance)`;
  if (s.never) return 'never at this bath temperature (guidance)';
  if (o.safeAt === null) return 'not yet known';
  return `${clock(o.safeAt, now)} (guidance; core ${temp(s.coreC)})`;
}
