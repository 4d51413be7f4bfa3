import { clearedBy, continuedAlarm } from '../alarms/lifecycle.js';
import {
  type CookOutlook,
  doneSafetyText,
  type NotifiableEvent,
  type Notification,
  neverText,
  notificationText,
  outlookOf,
  resolvedText,
} from './message.js';

/**
 * The notification rules, pure, for the gateway and the cloud: which control events notify (and what they say), and
 * which unacknowledged critical alarms notify again every `notify.repeatMin` minutes (the gateway's reminders,
 * kept in memory; the cloud's, computed from its alarms table).
 */

/** Safety alarms that always notify; `ack_contradicts` only with severity alarm (on a safety path). */
const SAFETY = new Set([
  'over_temp',
  'sensor_fault',
  'heater_stuck',
  // The water test found the probe out of the water after heating once: the cooker must be checked.
  'water_test_failed',
  'actuator_fault',
  'actuator_disobeys',
  'heater_state_unknown',
  'food_safety_alarm',
  // The cook is held with the heater off until a person confirms: they must hear of it.
  'resume_unsafe',
  // A stored cook the gateway's changed rules refuse: held off until someone starts another.
  'resume_refused',
  // The kit's heater flag changes by itself again and again: control makes no presses meanwhile.
  'kit_flapping',
  // The kit restarted mid-press and does not know whether the heater is on (ADR 088): check the cooker.
  'kit_in_doubt',
]);

/** The events that end a condition (the watchdog's "cleared" events): each says so once, when the alarm it ends was notified. */
const RESOLVES = new Set(['over_temp_cleared', 'fail_safe_released', 'heater_ok', 'sensor_ok', 'online', 'kit_steady']);

/** Events of this type may tell the end of a notified alarm (the caller need only ask `endsNotified` for them). */
export const mayResolve = (type: string): boolean => RESOLVES.has(type);

/**
 * A notice that makes its alarm "notified", whose end is then told once: the event's own notice
 * (not a reminder or a derived one) with the severity alarm or critical, whatever the event's own
 * severity (`offline` is a warning, its notice during a cook an alarm). The one rule of both sides:
 * the gateway's `followNotified`, the cloud's notifications table (cloud/stores/sql/notify-store.ts).
 */
export const NOTIFIED_SEVERITIES: readonly Notification['severity'][] = ['alarm', 'critical'];
export const makesNotified = (e: Pick<NotifiableEvent, 'id'>, n: Notification | null): boolean =>
  n !== null && n.id === e.id && NOTIFIED_SEVERITIES.includes(n.severity);

export interface RuleContext {
  /** A cook was heating or holding on this kit when the event happened. */
  cooking: boolean;
  /**
   * The event ends an alarm of this kit that was notified (the caller keeps which were:
   * `endsNotified` on the gateway, its notifications table in the cloud): a resolved notice.
   */
  endsNotified?: boolean;
  /** The cook's last forecast of its food (for the done text), when the cook names one. */
  outlook?: CookOutlook | null;
  /** Time zone of the clock times in texts (default: this machine's). */
  timeZone?: string;
  /** The texts name the zone after a clock time ("14:05 UTC"): the cloud's, which does not know the kitchen's zone. */
  nameZone?: boolean;
}

/** The event's alarm is over and the cook heard of the alarm: it hears that it is over (the water test's own pass has its own words). */
const resolves = (e: NotifiableEvent, ctx: RuleContext) =>
  RESOLVES.has(e.type) && ctx.endsNotified === true && !(e.type === 'sensor_ok' && e.data.by === 'water_test');

function notifies(e: NotifiableEvent, ctx: RuleContext): boolean {
  // The same alarm as one told before the gateway restarted (shared/alarms/lifecycle.ts): told already.
  if (continuedAlarm(e) !== null) return false;
  // The cook's milestones: water ready, timer done, and (when the cook names its food) safe to eat.
  if (e.type === 'reached' || e.type === 'done' || e.type === 'pasteurized') return true;
  if (SAFETY.has(e.type)) return true;
  if (resolves(e, ctx)) return true;
  // The cook was told the probe slipped out and the heater is off: they hear that it went on by itself.
  if (e.type === 'sensor_ok') return e.data.by === 'water_test';
  if (e.type === 'ack_contradicts') return e.severity === 'alarm' || e.severity === 'critical';
  if (e.type === 'offline') return ctx.cooking;
  return false;
}

/** The notification an event causes, or null. Its id is the event's: the idempotency key. */
export function notificationFor(e: NotifiableEvent, ctx: RuleContext): Notification | null {
  if (!notifies(e, ctx)) return null;
  if (resolves(e, ctx)) return { ...base(e, 'info'), text: resolvedText(e) };
  let text = notificationText(e);
  if (text === null) return null;
  // The timer can end before the modelled core is pasteurized: the done text says so.
  if (e.type === 'done') text += doneSafetyText(ctx.outlook, e.ts, ctx.timeZone, ctx.nameZone);
  // A kit going silent mid-cook is an alarm for the cook, whatever the event's own severity.
  const severity = e.type === 'offline' && e.severity === 'warning' ? 'alarm' : e.severity;
  return { ...base(e, severity), text };
}

const base = (e: NotifiableEvent, severity: Notification['severity']) => ({
  id: e.id,
  type: e.type,
  severity,
  deviceId: e.deviceId,
  at: new Date(e.ts).toISOString(),
});

/**
 * The one notice that a cook's food will not pasteurize: a `forecast` event that says "never" once
 * the water is at its level (a heat-up from cold water reads "never" until the water warms), for a
 * cook whose last outlook (`before`, the same kit's) did not say so already. Its id is derived from
 * the cook (`<cook id>~never`), so it is made once per cook, on either side.
 */
export function neverNoticeFor(e: NotifiableEvent, before: CookOutlook | null | undefined): Notification | null {
  const o = outlookOf(e);
  if (!o?.never || !o.settled || o.pasteurized) return null;
  if (before && before.cookId === o.cookId && before.never && before.settled) return null;
  return { ...base(e, 'warning'), id: `${o.cookId}~never`, type: 'will_not_pasteurize', text: neverText(o.foodKind) };
}

/** Alarms of each kit that notified and are not over yet, by `<deviceId>|<type>` (for the resolved notices). */
export type NotifiedAlarms = ReadonlySet<string>;

/** The event ends an alarm of its kit that notified. */
export function endsNotified(notified: NotifiedAlarms, e: Pick<NotifiableEvent, 'deviceId' | 'type'>): boolean {
  return clearedBy(e.type).some((type) => notified.has(key(e.deviceId, type)));
}

/** Follows an event: notes the alarm it notified, forgets those it ends (clears, or the end of their cook). */
export function followNotified(notified: NotifiedAlarms, e: NotifiableEvent, n: Notification | null): NotifiedAlarms {
  const ends = clearedBy(e.type);
  const raised = makesNotified(e, n);
  if (ends.length === 0 && !raised) return notified;
  const next = new Set(notified);
  for (const type of ends) next.delete(key(e.deviceId, type));
  if (raised) next.add(key(e.deviceId, e.type));
  return next;
}

/** A critical alarm still open: it is notified again until cleared or acknowledged. */
export interface OpenAlarm {
  first: Notification;
  lastTs: number;
  repeats: number;
}

/** Open critical alarms by `<deviceId>|<type>`. */
export type OpenAlarms = ReadonlyMap<string, OpenAlarm>;

const key = (deviceId: string | null, type: string) => `${deviceId ?? ''}|${type}`;

/** The key of a kit's alarm type in `NotifiedAlarms` and `OpenAlarms` (the gateway keeps them in its store across a restart). */
export const alarmKey = key;

/**
 * The alarm types whose reminders a stopped cook ends: those that belong to the cook, which the
 * alarm lifecycle clears at a stop (shared/alarms/lifecycle.ts `clearedBy('stopped')`: an unplugged
 * kit's `offline`, a missed press, the heater held off, the food-safety alarm). Never `over_temp` or
 * `actuator_disobeys`: a relay stuck on keeps heating after a stop, the water may still be too hot.
 */
export const STOP_ENDS_REMINDERS_OF: readonly string[] = clearedBy('stopped');

/** Follows an event: opens a critical alarm it notified, closes those it ends (its clears, or the cook's own at a stop or a new cook). */
export function track(open: OpenAlarms, e: NotifiableEvent, notified: Notification | null): OpenAlarms {
  const cleared = clearedBy(e.type);
  const opens = notified !== null && notified.severity === 'critical';
  if (cleared.length === 0 && !opens) return open;
  const next = new Map(open);
  for (const type of cleared) next.delete(key(e.deviceId, type));
  if (opens && !next.has(key(e.deviceId, e.type))) next.set(key(e.deviceId, e.type), { first: notified, lastTs: e.ts, repeats: 0 });
  return next;
}

/** An acknowledged alarm stops repeating (its id is the id of the event that raised and notified it; gateway/alarms/). */
export function acknowledge(open: OpenAlarms, notificationId: string): OpenAlarms {
  const next = new Map(open);
  for (const [k, a] of open) if (a.first.id === notificationId) next.delete(k);
  return next;
}

/**
 * The reminders due at `nowMs`: each open alarm notifies again `repeatMs` after its last
 * notification, with an id of its own (`<first id>~r<n>`) so that receivers keep both.
 */
export function dueRepeats(open: OpenAlarms, nowMs: number, repeatMs: number): { open: OpenAlarms; due: Notification[] } {
  const due: Notification[] = [];
  let next: Map<string, OpenAlarm> | undefined;
  for (const [k, a] of open) {
    // A clock that stepped back (nowMs before the last reminder) does not hold reminders back for as long as the step.
    if (nowMs >= a.lastTs && nowMs - a.lastTs < repeatMs) continue;
    const n = a.repeats + 1;
    next ??= new Map(open);
    next.set(k, { ...a, lastTs: nowMs, repeats: n });
    due.push(reminderOf(a.first, n, nowMs));
  }
  return { open: next ?? open, due };
}

/** The n-th reminder of an alarm's notification: an id of its own (`<first id>~r<n>`), the same words. */
export function reminderOf(first: Notification, n: number, nowMs: number): Notification {
  return {
    ...first,
    id: `${first.id}~r${n}`,
    at: new Date(nowMs).toISOString(),
    text: `Still not resolved (reminder ${n}, since ${first.at}): ${first.text}`,
  };
}

/**
 * The reminder due at `nowMs` for an open critical alarm raised at `raisedAtMs`, counted from the
 * raise (the cloud's reminders: stateless, so any instance computes the same n and its id claims
 * it once); null before the first `repeatMs` has passed. A late check sends only the newest.
 */
export function reminderDue(first: Notification, raisedAtMs: number, nowMs: number, repeatMs: number): Notification | null {
  const n = Math.floor((nowMs - raisedAtMs) / repeatMs);
  return n >= 1 ? reminderOf(first, n, nowMs) : null;
}
