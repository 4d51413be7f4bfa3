import { CLEARED_BY, type NotifiableEvent, notificationText } from '../notify/message.js';

/**
 * The alarm lifecycle, pure, the same on the gateway and in the cloud (docs/adr/035-alarm-lifecycle.md):
 * an alarm is raised by a control event of severity alarm or critical, may be acknowledged by a
 * person (who, when, an optional note), and is cleared when its cause ends (the event that clears
 * it, or the end of its cook). Acknowledging and clearing are independent: either may come first.
 *
 * Every step is a merge of facts that only grow, so the two sides converge whatever the order in
 * which they hear of them: the first acknowledgement wins (the earliest, then the smallest
 * `acknowledgedBy`), and so does the first clearing. `merge` is commutative, associative and
 * idempotent: a replayed or reordered relay record changes nothing.
 */
export type AlarmSeverity = 'alarm' | 'critical';
export type AlarmState = 'open' | 'acknowledged' | 'cleared';
export const ALARM_STATES: readonly AlarmState[] = ['open', 'acknowledged', 'cleared'];

export interface Alarm {
  /** The id of the event that raised it. */
  id: string;
  deviceId: string | null;
  type: string;
  severity: AlarmSeverity;
  raisedAt: number;
  /** Plain language: what happened and what to do. */
  text: string;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  note: string | null;
  clearedAt: number | null;
  /** What cleared it: the type of the event that ended it (`sensor_ok`, `stopped`, …). */
  how: string | null;
}

export interface Ack {
  by: string;
  at: number;
  note?: string | null | undefined;
}

export const NOTE_MAX = 500;
export const TEXT_MAX = 500;
export const BY_MAX = 128;

/** Cleared beats acknowledged: a cleared alarm needs nothing more, acknowledged or not. */
export function stateOf(a: Pick<Alarm, 'acknowledgedAt' | 'clearedAt'>): AlarmState {
  if (a.clearedAt !== null) return 'cleared';
  return a.acknowledgedAt !== null ? 'acknowledged' : 'open';
}

/** Alarm types a cook's start or stop also ends (they belong to the cook), beyond the watchdog's own "cleared" events. */
const COOK_ALARMS = ['heater_stuck', 'resume_unsafe', 'resume_refused', 'water_test_failed', 'kit_in_doubt'];

/** The alarm types an event of this type clears (none for most). */
export function clearedBy(eventType: string): readonly string[] {
  const base = CLEARED_BY[eventType] ?? [];
  return eventType === 'stopped' || eventType === 'heating' ? [...base, ...COOK_ALARMS] : base;
}

/** The plain-language text of an alarm (the notification's text, the same on both sides). */
export function alarmText(e: Pick<NotifiableEvent, 'type' | 'data'>): string {
  const text = notificationText(e) ?? `Alarm: ${e.type.replaceAll('_', ' ')}.`;
  return text.slice(0, TEXT_MAX);
}

/**
 * The alarm an event continues, or null: a condition the gateway's watchdog found again at its
 * first judgement after a restart, while the store held the alarm it raised before the restart
 * uncleared (`data.continues`: that alarm's id; docs/adr/081-notified-alarms-survive-a-gateway-restart.md).
 * It is the same alarm, already raised and told: it raises no new one and notifies nothing, on
 * either side.
 */
export function continuedAlarm(e: Pick<NotifiableEvent, 'data'>): string | null {
  const c = e.data.continues;
  return typeof c === 'string' && c.length > 0 ? c : null;
}

/** The alarm an event raises (severity alarm or critical), or null. The caller decides whether one is already open. */
export function raisedBy(e: NotifiableEvent): Alarm | null {
  if (e.severity !== 'alarm' && e.severity !== 'critical') return null;
  if (continuedAlarm(e) !== null) return null;
  return {
    id: e.id,
    deviceId: e.deviceId,
    type: e.type,
    severity: e.severity,
    raisedAt: e.ts,
    text: alarmText(e),
    acknowledgedBy: null,
    acknowledgedAt: null,
    note: null,
    clearedAt: null,
    how: null,
  };
}

/** Is `a` an acknowledgement that comes before `b` (earliest first; a tie goes to the smaller `by`)? */
function firstAck(a: Alarm, b: Alarm): boolean {
  if (a.acknowledgedAt === null) return false;
  if (b.acknowledgedAt === null) return true;
  if (a.acknowledgedAt !== b.acknowledgedAt) return a.acknowledgedAt < b.acknowledgedAt;
  return (a.acknowledgedBy ?? '') < (b.acknowledgedBy ?? '');
}
function firstClear(a: Alarm, b: Alarm): boolean {
  if (a.clearedAt === null) return false;
  if (b.clearedAt === null) return true;
  if (a.clearedAt !== b.clearedAt) return a.clearedAt < b.clearedAt;
  return (a.how ?? '') < (b.how ?? '');
}

/** Two views of the same alarm, one answer: the raise as first known, the first acknowledgement, the first clearing. */
export function merge(a: Alarm, b: Alarm): Alarm {
  const base = a.raisedAt < b.raisedAt || (a.raisedAt === b.raisedAt && a.text <= b.text) ? a : b;
  const ack = firstAck(b, a) ? b : a;
  const clr = firstClear(b, a) ? b : a;
  return {
    ...base,
    acknowledgedBy: ack.acknowledgedBy,
    acknowledgedAt: ack.acknowledgedAt,
    note: ack.note,
    clearedAt: clr.clearedAt,
    how: clr.how,
  };
}

/**
 * A person acknowledges: recorded unless the alarm was acknowledged before (the first stays).
 * Acknowledging a cleared alarm is fine: it records who saw it.
 */
export function acknowledge(a: Alarm, ack: Ack): Alarm {
  if (a.acknowledgedAt !== null) return a;
  return { ...a, acknowledgedBy: ack.by.slice(0, BY_MAX), acknowledgedAt: ack.at, note: ack.note ? ack.note.slice(0, NOTE_MAX) : null };
}

/** The cause ended: recorded unless already cleared (the first stays). */
export function clear(a: Alarm, at: number, how: string): Alarm {
  if (a.clearedAt !== null) return a;
  return { ...a, clearedAt: at, how };
}

/** The steps `after` took over `before` (null: it is new): what gets audited. */
export function stepsBetween(before: Alarm | null, after: Alarm): ('raise' | 'ack' | 'clear')[] {
  const steps: ('raise' | 'ack' | 'clear')[] = [];
  if (before === null) steps.push('raise');
  if (
    after.acknowledgedAt !== null &&
    (before === null || before.acknowledgedAt !== after.acknowledgedAt || before.acknowledgedBy !== after.acknowledgedBy)
  )
    steps.push('ack');
  if (after.clearedAt !== null && (before === null || before.clearedAt !== after.clearedAt || before.how !== after.how))
    steps.push('clear');
  return steps;
}
