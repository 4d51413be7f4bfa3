import { notificationText } from '../../shared/notify/message.js';
import { temp } from './format.js';
import type { AlarmItem, AlarmsApi, EventItem } from './model.js';
import { unit } from './units.js';

export const isAlarm = (e: EventItem) => e.severity === 'alarm' || e.severity === 'critical';

/**
 * The alarms still active (not cleared: open or acknowledged), per device ('(gateway)' for none),
 * newest raised first, as the API's alarm lifecycle holds them (GET /v1/alarms?state=…, ADR 035).
 * Never derived from the newest events: an open alarm stays however many events follow it.
 */
export async function activeAlarms(api: AlarmsApi): Promise<Map<string, AlarmItem[]>> {
  const [open, acked] = await Promise.all([api.list({ state: 'open', limit: 500 }), api.list({ state: 'acknowledged', limit: 500 })]);
  const out = new Map<string, AlarmItem[]>();
  for (const a of [...open, ...acked].sort((x, y) => y.raisedAt - x.raisedAt)) {
    const dev = a.deviceId ?? '(gateway)';
    out.set(dev, [...(out.get(dev) ?? []), a]);
  }
  return out;
}

/** An active alarm in words: its text, and "(acknowledged)" once someone has seen it. */
export const alarmLine = (a: AlarmItem) => `${a.severity}: ${a.text}${a.state === 'acknowledged' ? ' (acknowledged)' : ''}`;

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
