import type { CookSpec } from '../cook.js';
import { FOODS } from './foods.js';
import { CoreModel } from './pasteurize.js';

/**
 * A cook as a record an inspector can read (HACCP-style): who, when, which kit, the food and
 * target, the temperature curve, time in the danger zone, time at or above the target, the
 * lethality the modelled core reached, alarms and actions. Built by the gateway (offline) and the
 * cloud from what each stores; pure.
 */

/** The bath danger zone: bacteria grow between 4.4 °C (40 °F) and 54.4 °C (130 °F). */
export const DANGER_LOW_C = 4.4;
export const DANGER_HIGH_C = 54.4;
/** |T − target| within this counts as at the target (the engine's reached band). */
export const AT_TARGET_BAND_C = 0.5;
/** Curve points in a record (min / mean / max per bucket); the raw readings are in readings.csv. */
export const CURVE_POINTS = 300;
/** A gap longer than this between readings is not counted in the durations. */
const MAX_GAP_MS = 120_000;

export interface RecordReading {
  ts: number;
  tempC: number | null;
}
export interface RecordEvent {
  ts: number;
  type: string;
  severity: string;
  data: Record<string, unknown>;
}
export interface RecordAction {
  ts: number;
  actor: string;
  action: string;
  reason: string;
}

export interface CookRecordInput {
  cookId: string;
  deviceId: string;
  gatewayId: string | null;
  /** The spec the cook ran with last (target, timer, food). */
  spec: CookSpec;
  state: string;
  startedTs: number;
  /** When it ended (done, stopped, replaced); null while it runs. */
  endedTs: number | null;
  /** Readings in [startedTs, endedTs ?? now), oldest first. */
  readings: readonly RecordReading[];
  events: readonly RecordEvent[];
  actions: readonly RecordAction[];
}

export interface CurvePoint {
  ts: number;
  min: number;
  mean: number;
  max: number;
}

export interface CookRecordView {
  id: string;
  deviceId: string;
  gatewayId: string | null;
  /** Who started (and changed or stopped) the cook, from the audit trail. */
  who: string[];
  startedTs: number;
  endedTs: number | null;
  state: string;
  food: { label: string | null; kind: string | null; shape: string | null; thicknessMm: number | null };
  targetC: number;
  durationMin: number | null;
  readings: number;
  minC: number | null;
  maxC: number | null;
  dangerZoneMs: number;
  atOrAboveTargetMs: number;
  /** Null when the cook named no food kind and thickness. */
  lethality: {
    guidance: string;
    pathogens: { name: string; logs: number; needed: number }[];
    fraction: number;
    pasteurized: boolean;
    pasteurizedTs: number | null;
    coreMaxC: number;
  } | null;
  alarms: RecordEvent[];
  actions: RecordAction[];
  curve: CurvePoint[];
}

export function buildCookRecord(x: CookRecordInput): CookRecordView {
  const valid = x.readings.filter((r): r is { ts: number; tempC: number } => r.tempC !== null);
  let danger = 0;
  let atTarget = 0;
  for (let i = 1; i < valid.length; i++) {
    const a = valid[i - 1]!;
    const dt = valid[i]!.ts - a.ts;
    if (dt <= 0 || dt > MAX_GAP_MS) continue;
    if (a.tempC > DANGER_LOW_C && a.tempC < DANGER_HIGH_C) danger += dt;
    if (a.tempC >= x.spec.targetC - AT_TARGET_BAND_C) atTarget += dt;
  }
  const temps = valid.map((r) => r.tempC);
  return {
    id: x.cookId,
    deviceId: x.deviceId,
    gatewayId: x.gatewayId,
    who: [...new Set(x.actions.filter((a) => a.action.startsWith('cook')).map((a) => a.actor))],
    startedTs: x.startedTs,
    endedTs: x.endedTs,
    state: x.state,
    food: {
      label: x.spec.food ?? null,
      kind: x.spec.foodKind ?? null,
      shape: x.spec.foodKind ? (x.spec.foodShape ?? 'slab') : null,
      thicknessMm: x.spec.thicknessMm ?? null,
    },
    targetC: x.spec.targetC,
    durationMin: x.spec.durationMin ?? null,
    readings: x.readings.length,
    minC: temps.length ? Math.min(...temps) : null,
    maxC: temps.length ? Math.max(...temps) : null,
    dangerZoneMs: danger,
    atOrAboveTargetMs: atTarget,
    lethality: lethalityOf(x.spec, valid),
    alarms: x.events.filter((e) => e.severity === 'alarm' || e.severity === 'critical'),
    actions: [...x.actions],
    curve: curveOf(valid, CURVE_POINTS),
  };
}

function lethalityOf(spec: CookSpec, readings: readonly { ts: number; tempC: number }[]): CookRecordView['lethality'] {
  if (spec.foodKind === undefined || spec.thicknessMm === undefined) return null;
  const food = FOODS[spec.foodKind];
  const m = new CoreModel({ kind: spec.foodKind, shape: spec.foodShape ?? 'slab', thicknessMm: spec.thicknessMm });
  let pasteurizedTs: number | null = null;
  let coreMax = m.coreC;
  for (let i = 1; i < readings.length; i++) {
    const a = readings[i - 1]!;
    const dt = Math.min(MAX_GAP_MS, readings[i]!.ts - a.ts) / 1000;
    if (dt <= 0) continue;
    m.advance(dt, a.tempC);
    coreMax = Math.max(coreMax, m.coreC);
    if (pasteurizedTs === null && m.pasteurized) pasteurizedTs = readings[i]!.ts;
  }
  return {
    guidance: 'Modelled core (docs/food-safety.md): guidance, not a measurement.',
    pathogens: food.targets.map((p, i) => ({ name: p.name, logs: round2(m.logs[i]!), needed: p.logs })),
    fraction: round2(Math.min(1, m.progress)),
    pasteurized: m.pasteurized,
    pasteurizedTs,
    coreMaxC: round2(coreMax),
  };
}

/** Min / mean / max per equal time bucket, at most `n` points. */
function curveOf(readings: readonly { ts: number; tempC: number }[], n: number): CurvePoint[] {
  if (readings.length === 0) return [];
  const t0 = readings[0]!.ts;
  const span = readings[readings.length - 1]!.ts - t0 + 1;
  const width = Math.max(1, Math.ceil(span / n));
  const out: CurvePoint[] = [];
  let cur: { ts: number; min: number; max: number; sum: number; count: number } | null = null;
  for (const r of readings) {
    const b = t0 + Math.floor((r.ts - t0) / width) * width;
    if (!cur || cur.ts !== b) {
      if (cur) out.push({ ts: cur.ts, min: cur.min, mean: round2(cur.sum / cur.count), max: cur.max });
      cur = { ts: b, min: r.tempC, max: r.tempC, sum: 0, count: 0 };
    }
    cur.min = Math.min(cur.min, r.tempC);
    cur.max = Math.max(cur.max, r.tempC);
    cur.sum += r.tempC;
    cur.count++;
  }
  if (cur) out.push({ ts: cur.ts, min: cur.min, mean: round2(cur.sum / cur.count), max: cur.max });
  return out;
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
