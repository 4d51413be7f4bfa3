import { clearedBy } from '../../shared/alarms/lifecycle.js';
import { notificationText } from '../../shared/notify/message.js';
import { temp } from './format.js';
import type { EventItem } from './model.js';
import { unit } from './units.js';

/**
 * Which alarms are still active, derived from the event stream: an alarm (severity alarm or
 * critical) stays active until the event that clears it (the watchdog's own "cleared" events) or
 * the end of the cook it belongs to; the rule is the alarm lifecycle's (shared/alarms/lifecycle.ts).
 */
export const isAlarm = (e: EventItem) => e.severity === 'alarm' || e.severity === 'critical';

/** Active alarms per device from events given newest first. */
export function activeAlarms(events: readonly EventItem[]): Map<string, EventItem[]> {
  const active = new Map<string, Map<string, EventItem>>();
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as EventItem;
    const dev = e.deviceId ?? '(gateway)';
    const m = active.get(dev) ?? new Map<string, EventItem>();
    active.set(dev, m);
    for (const t of clearedBy(e.type)) m.delete(t);
    if (isAlarm(e)) m.set(e.type, e);
  }
  return new Map([...active].map(([d, m]) => [d, [...m.values()].sort((a, b) => b.ts - a.ts)]));
}

/** The time the current cook reached its target (the timer's start), from events newest first. */
export function reachedAt(events: readonly EventItem[], deviceId: string, cookStartedTs: number): number | null {
  const e = events.find((x) => x.deviceId === deviceId && x.type === 'reached' && x.ts >= cookStartedTs);
  return e?.ts ?? null;
}

/**
 * What an event means, in plain words and the reader's unit: alarms and cook milestones use the
 * one wording of shared/notify/message.ts (the notifications say the same); the rest is described here.
 */
export function describe(e: Pick<EventItem, 'type' | 'data'>): string {
  // The notification is sent only during a cook and says so; the event log has every one.
  if (e.type === 'offline') return 'The kit went offline: check its power and Wi-Fi. During a cook the heater may keep running.';
  const plain = notificationText(e, unit());
  if (plain !== null) return plain;
  const d = e.data;
  switch (e.type) {
    case 'heating':
      return typeof d.targetC === 'number' ? `Heating to ${temp(d.targetC)}.` : 'Heating.';
    case 'stopped':
      return 'The cook was stopped: the heater is off.';
    case 'online':
      return 'The kit is back online.';
    case 'pasteurized':
      return `The food's core is pasteurized (guidance: ${String(d.foodKind ?? 'food')} model).`;
    case 'forecast':
      return `Forecast: ${
        ['readyAt', 'doneAt', 'safeAt']
          .filter((k) => typeof d[k] === 'number')
          .map((k) => `${k.replace('At', '')} ${new Date(d[k] as number).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`)
          .join(', ') || 'no times yet'
      }`;
    default:
      return e.type.replaceAll('_', ' ');
  }
}
