import type { EventItem } from './model.js';

/**
 * Which alarms are still active, derived from the event stream: neither API has an alarm state or
 * an acknowledge route, so an alarm (severity alarm or critical) stays active until the event
 * that clears it (the watchdog's own "cleared" events) or the end of the cook it belongs to.
 */
const CLEARED_BY: Record<string, string[]> = {
  sensor_ok: ['sensor_fault'],
  over_temp_cleared: ['over_temp'],
  fail_safe_released: ['actuator_disobeys', 'ack_contradicts'],
  online: ['offline'],
  // A stopped or new cook ends the alarms that belong to a cook.
  stopped: ['actuator_fault', 'heater_stuck', 'food_safety_alarm', 'resume_unsafe', 'heater_state_unknown'],
  heating: ['actuator_fault', 'heater_stuck', 'food_safety_alarm', 'resume_unsafe', 'heater_state_unknown'],
};

export const isAlarm = (e: EventItem) => e.severity === 'alarm' || e.severity === 'critical';

/** Active alarms per device from events given newest first. */
export function activeAlarms(events: readonly EventItem[]): Map<string, EventItem[]> {
  const active = new Map<string, Map<string, EventItem>>();
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as EventItem;
    const dev = e.deviceId ?? '(gateway)';
    const m = active.get(dev) ?? new Map<string, EventItem>();
    active.set(dev, m);
    for (const t of CLEARED_BY[e.type] ?? []) m.delete(t);
    if (isAlarm(e)) m.set(e.type, e);
  }
  return new Map([...active].map(([d, m]) => [d, [...m.values()].sort((a, b) => b.ts - a.ts)]));
}

/** The time the current cook reached its target (the timer's start), from events newest first. */
export function reachedAt(events: readonly EventItem[], deviceId: string, cookStartedTs: number): number | null {
  const e = events.find((x) => x.deviceId === deviceId && x.type === 'reached' && x.ts >= cookStartedTs);
  return e?.ts ?? null;
}

export function describe(e: EventItem): string {
  const d = e.data;
  switch (e.type) {
    case 'sensor_fault':
      return `probe fault (${String(d.kind ?? 'unknown')}): heater switched off`;
    case 'over_temp':
      return `over-temperature ${String(d.tempC ?? '')} °C: heater switched off`;
    case 'actuator_fault':
      return `servo is not pressing the button (${String(d.consecutiveMisses ?? '?')} misses in a row)`;
    case 'press_missed':
      return 'a button press did not change the heater';
    case 'food_safety_alarm':
      return 'bath 4 h in the danger zone (4.4–54.4 °C)';
    case 'food_safety_alert':
      return 'bath 2 h in the danger zone (4.4–54.4 °C)';
    case 'offline':
      return 'kit went silent';
    case 'actuator_disobeys':
      return 'the bath still heats after the kit switched the heater off: switch the cooker off by hand';
    case 'heater_state_unknown':
      return 'the heater may still be on: check the cooker';
    case 'ack_contradicts':
      return `the kit reported the heater ${String(d.heater ?? '?')} after being asked for ${String(d.op ?? '')} ${String(d.expect ?? '')}`;
    case 'fail_safe_released':
      return 'fail-safe released: the bath is back in range';
    case 'boot_regression':
      return `the kit's boot counter went back (${String(d.fromBoot ?? '?')} → ${String(d.toBoot ?? '?')}): reflashed or replaced`;
    case 'reached':
      return `reached ${String(d.targetC ?? '')} °C`;
    case 'pasteurized':
      return `food core pasteurized (guidance: ${String(d.foodKind ?? 'food')} model)`;
    case 'forecast':
      return `forecast: ${
        ['readyAt', 'doneAt', 'safeAt']
          .filter((k) => typeof d[k] === 'number')
          .map((k) => `${k.replace('At', '')} ${new Date(d[k] as number).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`)
          .join(', ') || 'no times yet'
      }`;
    default:
      return e.type.replaceAll('_', ' ');
  }
}
