import type { SensorState, Telemetry } from '../protocol/messages.js';
import { DS18B20_LSB_C, heatCapacityJPerK, type KitParams, kitParams } from './params.js';
import { Prng } from './prng.js';

/**
 * Fault kinds the simulator injects (docs/control.md):
 * - `disconnected`: the driver's −127 → sensor "disconnected";
 * - `por`: the DS18B20 85 °C power-on value → sensor "por";
 * - `crc`: every conversion fails its checksum → sensor "crc";
 * - `stuck`: the probe keeps reporting the value it had when the fault began (sensor "ok");
 * - `jump`: readings jump by `jumpC` (a probe pulled out of the bath, a bad contact);
 * - `runaway`: the heater stays on whatever the servo does (welded contact, failed cooker
 *   thermostat): the over-temperature case.
 */
/**
 * Faults a test can inject. `out_of_bath`: the probe slipped out of the water and reads the air,
 * which it follows with `PROBE_AIR_TAU_S` (a wet steel sheath in still air); the bath itself goes
 * on heating or cooling unseen. The air is the room's, or with `airCoupling` k (0 ≤ k < 1) air
 * the bath warms: room + k × (water − room), as in the vapour just above the water or on a lid the
 * bath heats. That air follows the bath: nothing but the bath keeps it warm.
 */
export type FaultKind = 'disconnected' | 'por' | 'crc' | 'stuck' | 'jump' | 'runaway' | 'out_of_bath';

/** How fast a probe out of the water follows the air (s). */
export const PROBE_AIR_TAU_S = 60;

export interface SimCommand {
  op: 'press' | 'safe';
  expect?: 'on' | 'off';
}

export interface SimAck {
  ok: boolean;
  heater: boolean;
  err?: string;
  /**
   * When the kit sends this Ack, ms after it received the command: after the motion when it
   * pressed (docs/protocol.md), at once when it had nothing to press or refused.
   */
  afterMs: number;
}

/** A command as it arrives over MQTT: its id, and whether it is older than its `ttlMs`. */
export interface SimDelivery extends SimCommand {
  id: string;
  expired?: boolean;
}

const MAX_PENDING = 8;
/** Command ids remembered for QoS 1 redeliveries (as many as the firmware keeps). */
const RECENT_IDS = 8;
const BOIL_C = 100;
/** Specific heat of meat or fish above freezing, J/(kg·K). */
const FOOD_J_PER_KG_K = 3500;
/** Specific heat of frozen meat or fish, J/(kg·K) (1.6–2.1 for lean meats and fish). */
const FROZEN_J_PER_KG_K = 1800;
/** Heat that thaws a kilogram of meat or fish: its water (about 70 %) × 334 kJ/kg, J/kg. */
const FOOD_LATENT_J_PER_KG = 234_000;

/** A kilogram of food's heat content at `tempC`, J, counted from frozen at 0 °C. */
function foodHeatJPerKg(tempC: number): number {
  return tempC < 0 ? tempC * FROZEN_J_PER_KG_K : FOOD_LATENT_J_PER_KG + tempC * FOOD_J_PER_KG_K;
}

/** The temperature of food holding `hJPerKg` (frozen below 0 °C, thawing at 0 °C, thawed above). */
function foodTempC(hJPerKg: number): number {
  if (hJPerKg < 0) return hJPerKg / FROZEN_J_PER_KG_K;
  if (hJPerKg <= FOOD_LATENT_J_PER_KG) return 0;
  return (hJPerKg - FOOD_LATENT_J_PER_KG) / FOOD_J_PER_KG_K;
}

/**
 * A kit in a water bath. Mutable and allocation-free per step: the load test runs thousands.
 * Physics (explicit in time, exact exponentials for the lags):
 *   element:  dP/dt = (P_switch − P) / τ_heater
 *   water:    C dT/dt = P − UA (T − T_ambient)
 *   probe:    dT_p/dt = (T − T_p) / τ_probe
 * The servo toggles the cooker after `servoLatencyMs`; a press misses with `missProb`.
 */
export class ThermalSim {
  readonly p: KitParams;
  private readonly rng: Prng;
  private capJPerK: number;
  /** Simulated time since start, ms. */
  tMs = 0;
  waterC: number;
  probeC: number;
  /** The cooker's real switch state. */
  heaterOn = false;
  /** Element output, W (lags the switch). */
  heaterPowerW = 0;
  /**
   * What the kit believes: its last command's outcome, which decides how it answers the next
   * (a `safe` presses only while this is on). Setting it sets what telemetry reports at once.
   */
  get belief(): boolean {
    return this.intent;
  }
  set belief(on: boolean) {
    this.intent = on;
    this.reported = on;
    this.reportAt = Number.NEGATIVE_INFINITY;
  }
  private intent = false;
  /**
   * What telemetry reports as `heater`: the belief once the motion is over, when the Ack leaves
   * (docs/protocol.md: the kit presses, then believes and acks; telemetry reports it from then on).
   */
  private reported = false;
  private reportAt = Number.NEGATIVE_INFINITY;
  boot: number;
  seq = 0;
  fault: FaultKind | null = null;
  /** Food in the bath (`addFood`), one lumped body: its mass, heat content, temperature and exchange with the water. */
  foodKg = 0;
  private foodHeatJ = 0;
  foodC = 0;
  foodWPerK = 0;
  jumpC = 20;
  private stuckC = 0;
  /** With `out_of_bath`: how much of the bath's excess over the room the probe's air has. */
  private airCoupling = 0;
  private porReads = 0;
  private readonly pendingAt = new Float64Array(MAX_PENDING);
  private pendingCount = 0;
  private forcedMisses = 0;
  private readonly recentIds: string[] = [];
  /** Counters for tests and benchmarks. */
  presses = 0;
  missed = 0;

  constructor(params: Partial<KitParams> = {}) {
    this.p = kitParams(params);
    this.rng = new Prng(this.p.seed);
    this.capJPerK = heatCapacityJPerK(this.p);
    this.waterC = this.p.startC ?? this.p.ambientC;
    this.probeC = this.waterC;
    this.boot = this.p.boot;
  }

  get nowMs(): number {
    return this.p.startEpochMs + this.tMs;
  }

  /** Advance the physics by dtMs (≤ a few seconds per call keeps it accurate). */
  step(dtMs: number): void {
    const end = this.tMs + dtMs;
    if (this.reportAt <= end) this.reported = this.intent;
    // Apply servo presses that land inside this step at their own time (split the step).
    while (this.pendingCount > 0 && this.pendingAt[0]! <= end) {
      const at = this.pendingAt[0]!;
      if (at > this.tMs) this.integrate(at - this.tMs);
      this.shiftPending();
      this.applyPress();
    }
    if (end > this.tMs) this.integrate(end - this.tMs);
  }

  private integrate(dtMs: number): void {
    const dt = dtMs / 1000;
    const p = this.p;
    const on = this.heaterOn || this.fault === 'runaway';
    const target = on ? p.heaterW : 0;
    const powerW = this.heaterPowerW;
    this.heaterPowerW = target + (powerW - target) * Math.exp(-dt / p.heaterTauS);
    const meanW = (powerW + this.heaterPowerW) / 2;
    const foodW = this.foodWPerK * (this.waterC - this.foodC);
    this.waterC += ((meanW - foodW - p.uaWPerK * (this.waterC - p.ambientC)) * dt) / this.capJPerK;
    if (this.foodKg > 0) {
      this.foodHeatJ += foodW * dt;
      this.foodC = foodTempC(this.foodHeatJ / this.foodKg);
    }
    // An open bath boils: past 100 °C the energy goes into steam, not temperature.
    if (this.waterC > BOIL_C) this.waterC = BOIL_C;
    if (this.fault === 'out_of_bath') {
      const airC = p.ambientC + this.airCoupling * (this.waterC - p.ambientC);
      this.probeC = airC + (this.probeC - airC) * Math.exp(-dt / PROBE_AIR_TAU_S);
    } else {
      this.probeC = this.waterC + (this.probeC - this.waterC) * Math.exp(-dt / p.probeTauS);
    }
    this.tMs += dtMs;
  }

  private shiftPending(): void {
    for (let i = 1; i < this.pendingCount; i++) this.pendingAt[i - 1] = this.pendingAt[i]!;
    this.pendingCount--;
  }

  private applyPress(): void {
    this.presses++;
    if (this.forcedMisses > 0) {
      this.forcedMisses--;
      this.missed++;
      return;
    }
    if (this.rng.next() < this.p.missProb) {
      this.missed++;
      return;
    }
    this.heaterOn = !this.heaterOn;
  }

  /** Schedule one servo press after the servo latency (the kit's button press). */
  pressButton(): void {
    if (this.pendingCount >= MAX_PENDING) return;
    this.pendingAt[this.pendingCount++] = this.tMs + this.p.servoLatencyMs;
  }

  /**
   * Command handling as the firmware does it (docs/protocol.md), or as a faulty kit does it
   * (`behaviour`); returns the Ack fields.
   */
  command(cmd: SimCommand): SimAck {
    const b = this.p.behaviour;
    const pressed = this.p.servoLatencyMs + this.p.ackAfterPressMs;
    if (cmd.op === 'safe') {
      if (b === 'ignore_safe') return { ok: true, heater: false, afterMs: 0 }; // a lie: nothing pressed, the belief unchanged
      // The kit presses only if it believes the heater is on.
      const press = this.intent;
      if (press) this.pressButton();
      return this.answer(false, press ? pressed : 0);
    }
    this.pressButton();
    return this.answer(b === 'toggle' ? !this.intent : cmd.expect === 'on', pressed);
  }

  /** The kit believes `on` from now, and reports it (telemetry, the Ack) once `afterMs` have passed. */
  private answer(on: boolean, afterMs: number): SimAck {
    this.intent = on;
    if (afterMs === 0) this.belief = on;
    else this.reportAt = this.tMs + afterMs;
    return { ok: true, heater: on, afterMs };
  }

  /**
   * A command delivered over MQTT, as the firmware receives it (docs/protocol.md, the kit's
   * command contract): an id already executed (a QoS 1 redelivery) is ignored — no press, no
   * Ack (`null`); an expired press is refused without pressing; anything else is `command()`.
   */
  receive(cmd: SimDelivery): SimAck | null {
    if (this.recentIds.includes(cmd.id)) return null;
    this.recentIds.push(cmd.id);
    if (this.recentIds.length > RECENT_IDS) this.recentIds.shift();
    // Only a press expires: a safe switches off whatever its age (docs/protocol.md).
    if (cmd.expired && cmd.op === 'press') return { ok: false, heater: this.belief, err: 'expired', afterMs: 0 };
    return this.command(cmd);
  }

  /** One DS18B20 conversion: the value and its classification, as the firmware reports it. */
  read(): { tempC: number | null; sensor: SensorState } {
    const v = this.readRaw();
    if (v === -127) return { tempC: null, sensor: 'disconnected' };
    if (Number.isNaN(v)) return { tempC: null, sensor: 'crc' };
    if (v === 85 && this.porReads > 0) return { tempC: null, sensor: 'por' };
    if (v < -10 || v > 110) return { tempC: null, sensor: 'range' };
    return { tempC: v, sensor: 'ok' };
  }

  /** The raw driver value: °C quantised to 0.0625, −127, 85 (por) or NaN (CRC failure). */
  readRaw(): number {
    switch (this.fault) {
      case 'disconnected':
        return -127;
      case 'crc':
        return Number.NaN;
      case 'por':
        this.porReads = 1;
        return 85;
      case 'stuck':
        return this.stuckC;
      default:
        break;
    }
    this.porReads = 0;
    if (this.p.crcProb > 0 && this.rng.next() < this.p.crcProb) return Number.NaN;
    const jump = this.fault === 'jump' ? this.jumpC : 0;
    const c = this.probeC + this.p.probeOffsetC + jump + this.p.noiseSdC * this.rng.normal();
    return Math.round(c / DS18B20_LSB_C) * DS18B20_LSB_C;
  }

  /**
   * Water poured into the bath (a top-up after evaporation, or cold water to cool it): mixed at
   * once, so the water and a probe in it read the mixture within the probe's lag.
   */
  addWater(litres: number, tempC: number): void {
    const addJPerK = heatCapacityJPerK({ volumeL: litres });
    this.waterC = (this.waterC * this.capJPerK + tempC * addJPerK) / (this.capJPerK + addJPerK);
    this.capJPerK += addJPerK;
  }

  /**
   * Food put into the bath: `kg` at `tempC`, one lumped body that takes heat from the water at
   * `wPerKPerKg` × its mass per kelvin of difference. Meat and fish: 3.5 kJ/(kg·K) thawed,
   * 1.8 frozen, and 234 kJ/kg to thaw (its water), so food from the freezer (−18 °C) takes about
   * 2.3 times the heat of the same food from the fridge to reach 56 °C, and holds at 0 °C while it
   * thaws. The default exchange, 12 W/K per kg, makes a 2 cm slab's time constant (about 5 min,
   * its centre's conduction); thicker food is slower. Food added later joins the same body
   * (mixed by heat).
   */
  addFood(kg: number, tempC: number, wPerKPerKg = 12): void {
    this.foodHeatJ += kg * foodHeatJPerKg(tempC);
    this.foodKg += kg;
    this.foodC = foodTempC(this.foodHeatJ / this.foodKg);
    this.foodWPerK += kg * wPerKPerKg;
  }

  injectFault(kind: FaultKind, opts: { airCoupling?: number } = {}): void {
    const k = opts.airCoupling ?? 0;
    if (!(k >= 0 && k < 1)) throw new RangeError(`airCoupling must be in [0, 1), got ${k}`);
    this.airCoupling = k;
    if (kind === 'stuck') this.stuckC = Math.round(this.probeC / DS18B20_LSB_C) * DS18B20_LSB_C;
    this.fault = kind;
  }

  clearFault(): void {
    this.fault = null;
  }

  /** A servo fault injected on purpose: the next `n` presses miss (then `missProb` again). */
  missNextPresses(n: number): void {
    if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`n must be a whole number ≥ 0, got ${n}`);
    this.forcedMisses = n;
  }

  /** A kit reboot: boot + 1, seq restarts, the first conversion is the 85 °C power-on value. */
  reboot(): void {
    this.boot++;
    this.seq = 0;
    this.belief = false;
    this.fault = 'por';
  }

  /** The next PROTOCOL Telemetry payload (one conversion; seq advances). */
  telemetry(rssi = -60): Telemetry {
    const r = this.read();
    if (this.fault === 'por') this.fault = null; // the power-on value lasts one conversion
    return {
      v: 1,
      boot: this.boot,
      seq: this.seq++,
      ts: Math.round(this.nowMs),
      tempC: r.tempC,
      sensor: r.sensor,
      heater: this.reported,
      rssi,
    };
  }
}
