/**
 * Parameters of one simulated kit in a water bath. Units are in the names. Defaults follow the control requirements (docs/control.md):
 * 8 L, 1000 W, 20 °C ambient; the lags are typical of a legacy cooker (element ~20 s) and a
 * DS18B20 in a steel sheath (~8 s).
 */
export interface KitParams {
  volumeL: number;
  heaterW: number;
  ambientC: number;
  /** Losses to ambient: ~0.6 W/K insulated and lidded … ~5 W/K open pot. */
  uaWPerK: number;
  /** Bath temperature at t = 0 (defaults to ambient). */
  startC?: number;
  /** First-order lag of the heating element (its stored heat keeps flowing after switch-off). */
  heaterTauS: number;
  /** First-order lag of the probe behind the water. */
  probeTauS: number;
  probeOffsetC: number;
  /** Gaussian noise of one conversion, before quantisation. */
  noiseSdC: number;
  /** Command received → servo has pressed the button. */
  servoLatencyMs: number;
  /**
   * The button pressed → the kit's Ack leaves: the rest of the hold and the servo's return
   * (firmware/core/press.h: hold 300 ms, return 300 ms). The firmware acks after the motion.
   */
  ackAfterPressMs: number;
  /** Probability that a servo press does not toggle the cooker. */
  missProb: number;
  /**
   * How the kit's firmware treats commands: `protocol` (docs/protocol.md), or a faulty kit for
   * fail-safe tests: `toggle` reads `press` as "toggle your belief" and ignores `expect`;
   * `ignore_safe` acknowledges `safe` with heater off but never presses.
   */
  behaviour: KitBehaviour;
  /** Probability that one conversion fails its CRC (random, independent). */
  crcProb: number;
  /** Expected telemetry interval (PROTOCOL: about 1 Hz). */
  intervalMs: number;
  seed: number;
  /** Simulated epoch at t = 0 (telemetry `ts`). */
  startEpochMs: number;
  boot: number;
}

export type KitBehaviour = 'protocol' | 'toggle' | 'ignore_safe';

export const DEFAULT_KIT: Readonly<KitParams> = Object.freeze({
  volumeL: 8,
  heaterW: 1000,
  ambientC: 20,
  uaWPerK: 2,
  heaterTauS: 20,
  probeTauS: 8,
  probeOffsetC: 0,
  noiseSdC: 0.02,
  servoLatencyMs: 1000,
  ackAfterPressMs: 600,
  missProb: 0,
  behaviour: 'protocol',
  crcProb: 0,
  intervalMs: 1000,
  seed: 1,
  startEpochMs: 1_763_798_400_000,
  boot: 1,
});

/** Specific heat of water, J/(kg·K); 1 L ≈ 1 kg over the sous-vide range. */
export const WATER_J_PER_L_K = 4186;

/** DS18B20 12-bit resolution. */
export const DS18B20_LSB_C = 0.0625;

export function kitParams(over: Partial<KitParams> = {}): KitParams {
  return { ...DEFAULT_KIT, ...over };
}

export function heatCapacityJPerK(p: Pick<KitParams, 'volumeL'>): number {
  return p.volumeL * WATER_J_PER_L_K;
}

/**
 * The physical minimum heat-up time: heater on from t = 0 with no servo latency, losses included,
 * until the water reaches `toC`. Closed form for the water alone (τ = C/UA, T∞ = Ta + P/UA), plus
 * the element lag, which delays a ramp by exactly its time constant. Infinity if unreachable.
 */
export function physicalMinHeatUpMs(p: KitParams, toC: number): number {
  const fromC = p.startC ?? p.ambientC;
  if (toC <= fromC) return 0;
  const tau = heatCapacityJPerK(p) / p.uaWPerK;
  const finalC = p.ambientC + p.heaterW / p.uaWPerK;
  if (toC >= finalC) return Number.POSITIVE_INFINITY;
  const s = tau * Math.log((finalC - fromC) / (finalC - toC));
  return (s + p.heaterTauS) * 1000;
}
