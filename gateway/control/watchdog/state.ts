/** Per-device watchdog state: plain data, replaced (never mutated) by each rule. */
export interface WatchdogState {
  /** null until the first message. */
  online: boolean | null;
  lastRxMs: number | null;
  /** Sensor rule. */
  bad: number;
  good: number;
  sensorFault: string | null;
  prevC: number | null;
  lastGoodC: number | null;
  lastGoodMs: number | null;
  sameC: number | null;
  sameSinceMs: number | null;
  /** Over-temperature latch. */
  overTemp: boolean;
  /** Heater-stuck rule. */
  heaterOnSinceMs: number | null;
  heaterOnStartC: number | null;
  heaterMaxC: number | null;
  stuckAlarmed: boolean;
  /** Food safety: time in the danger zone during the current cook. */
  dangerMs: number;
  dangerLastMs: number | null;
  dangerLastIn: boolean;
  dangerAlerted: boolean;
  dangerAlarmed: boolean;
}

export function initialWatchdogState(): WatchdogState {
  return {
    online: null,
    lastRxMs: null,
    bad: 0,
    good: 0,
    sensorFault: null,
    prevC: null,
    lastGoodC: null,
    lastGoodMs: null,
    sameC: null,
    sameSinceMs: null,
    overTemp: false,
    heaterOnSinceMs: null,
    heaterOnStartC: null,
    heaterMaxC: null,
    stuckAlarmed: false,
    dangerMs: 0,
    dangerLastMs: null,
    dangerLastIn: false,
    dangerAlerted: false,
    dangerAlarmed: false,
  };
}

/** Why the heater must stay off, or null: the engine is inhibited while this is set. */
export function watchdogInhibit(s: WatchdogState): string | null {
  if (s.sensorFault !== null) return `sensor fault (${s.sensorFault})`;
  if (s.overTemp) return 'over-temperature';
  return null;
}
