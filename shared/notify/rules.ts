import { CLEARED_BY, type NotifiableEvent, type Notification, notificationText } from './message.js';

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
]);

export interface RuleContext {
  /** A cook was heating or holding on this kit when the event happened. */
  cooking: boolean;
}

function notifies(e: NotifiableEvent, ctx: RuleContext): boolean {
  // The cook's milestones: water ready, timer done, and (when the cook names its food) safe to eat.
  if (e.type === 'reached' || e.type === 'done' || e.type === 'pasteurized') return true;
  if (SAFETY.has(e.type)) return true;
  // The cook was told the probe slipped out and the heater is off: they hear that it went on by itself.
  if (e.type === 'sensor_ok') return e.data.by === 'water_test';
  if (e.type === 'ack_contradicts') return e.severity === 'alarm' || e.severity === 'critical';
  if (e.type === 'offline') return ctx.cooking;
  return false;
}

/** The notification an event causes, or null. Its id is the event's: the idempotency key. */
export function notificationFor(e: NotifiableEvent, ctx: RuleContext): Notification | null {
  if (!notifies(e, ctx)) return null;
  const text = notificationText(e);
  if (text === null) return null;
  // A kit going silent mid-cook is an alarm for the cook, whatever the event's own severity.
  const severity = e.type === 'offline' && e.severity === 'warning' ? 'alarm' : e.severity;
  return { id: e.id, type: e.type, severity, deviceId: e.deviceId, at: new Date(e.ts).toISOString(), text };
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

/** Follows an event: opens a critical alarm it notified, closes those it clears. */
export function track(open: OpenAlarms, e: NotifiableEvent, notified: Notification | null): OpenAlarms {
  const cleared = CLEARED_BY[e.type];
  const opens = notified !== null && notified.severity === 'critical';
  if (!cleared && !opens) return open;
  const next = new Map(open);
  for (const type of cleared ?? []) next.delete(key(e.deviceId, type));
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
