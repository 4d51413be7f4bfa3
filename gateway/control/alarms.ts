import { type DeviceControlState, RULE_HOLD } from './device-control.js';

/**
 * The alarms in force on one kit, read from its control state (the latches the watchdog and the
 * engine keep): what the local API and Home Assistant show as "active alarms".
 */
export function activeAlarms(s: DeviceControlState): string[] {
  const w = s.watchdog;
  const out: string[] = [];
  if ((w.overTemp && w.coolingLowC === null) || w.overTempCarried !== null) out.push('over_temp');
  if (w.sensorFault !== null) out.push('sensor_fault');
  if (w.stuckAlarmed) out.push('heater_stuck');
  if (w.dangerAlarmed) out.push('food_safety_alarm');
  if (s.engine.flags.missAlarmed) out.push('actuator_fault');
  if (s.engine.flap?.alarmed === true) out.push('kit_flapping');
  if (s.engine.flags.doubtAlarmed) out.push('kit_in_doubt');
  if (s.resumeHold !== null) out.push(s.resumeHold.startsWith(RULE_HOLD) ? 'resume_refused' : 'resume_unsafe');
  return out;
}
