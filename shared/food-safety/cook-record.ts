import type { CookSpec } from '../cook.js';
import { bathBetween, CoreTrack, dangerCounts, foodKey, foodOf, inDangerZone, OBSERVED_GAP_MS } from './core-track.js';
import { FOODS } from './foods.js';

/**
 * A cook as a record an inspector can read (HACCP-style): who, when, which kit, the food and
 * target, the temperature curve, time in the danger zone, time at or above the target, the
 * lethality the modelled core reached, alarms and actions. Built by the gateway (offline) and the
 * cloud from what each stores; pure.
 */

export { DANGER_HIGH_C, DANGER_LOW_C, OBSERVED_GAP_MS } from './core-track.js';
/** |T − target| within this counts as at the target (the engine's reached band). */
export const AT_TARGET_BAND_C = 0.5;
/** Curve points in a record (min / mean / max per bucket); the raw readings are in readings.csv. */
export const CURVE_POINTS = 300;

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
/** A version of the cook's spec and when it came into force. */
export interface RecordSpecVersion {
  ts: number;
  spec: CookSpec;
}

export interface CookRecordInput {
  cookId: string;
  deviceId: string;
  gatewayId: string | null;
  /** The spec the cook ran with last (target, timer, food). */
  spec: CookSpec;
  /**
   * Every version of the spec in order, each from when it came into force (the first at the
   * start); without it the last spec is taken for the whole cook.
   */
  specs?: readonly RecordSpecVersion[];
  state: string;
  startedTs: number;
  /** When it ended (done, stopped, replaced); null while it runs. */
  endedTs: number | null;
  /** Readings in [startedTs, endedTs ?? now), oldest first. */
  readings: readonly RecordReading[];
  /** The kit's events in the same range; the first `reached` is when the food goes in. */
  events: readonly RecordEvent[];
  actions: readonly RecordAction[];
}

export interface CurvePoint {
  ts: number;
  min: number;
  mean: number;
  max: number;
}

export interface RecordFood {
  label: string | null;
  kind: string | null;
  shape: string | null;
  thicknessMm: number | null;
}

export interface RecordLethality {
  guidance: string;
  /** When this core's model started (the food went in); null when the water was never ready. */
  fromTs: number | null;
  pathogens: { name: string; logs: number; needed: number }[];
  fraction: number;
  pasteurized: boolean;
  pasteurizedTs: number | null;
  coreMaxC: number;
  /** Time of this core in gaps between readings: the core was moved, nothing credited. */
  unobservedMs: number;
}

/** A reading gap longer than OBSERVED_GAP_MS: the bath was not observed. */
export interface RecordGap {
  fromTs: number;
  toTs: number;
  fromC: number;
  toC: number;
}

/** One version of the spec and what the cook did under it. */
export interface RecordSegment {
  fromTs: number;
  toTs: number | null;
  targetC: number;
  durationMin: number | null;
  food: RecordFood;
  atOrAboveTargetMs: number;
  /** This version changed the food (kind, shape, thickness): a new cold core starts. */
  newCore: boolean;
}

/** One piece of food (a core model), from the version that named it to the next food change. */
export interface RecordCore {
  fromTs: number;
  toTs: number | null;
  food: RecordFood;
  lethality: RecordLethality | null;
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
  /** The food and target of the last spec (see `segments` for every version). */
  food: RecordFood;
  targetC: number;
  durationMin: number | null;
  readings: number;
  minC: number | null;
  maxC: number | null;
  /** Time in the danger zone; an interval (a gap too) counts when either end was in [4.4, 54.4) °C. */
  dangerZoneMs: number;
  /** Time between readings more than OBSERVED_GAP_MS apart, and those gaps. */
  gapMs: number;
  gaps: RecordGap[];
  /** Time at or above the target in force (each version its own), observed intervals only. */
  atOrAboveTargetMs: number;
  /** The first `reached` of the cook: when the food goes in. */
  foodInTs: number | null;
  /** The lethality of the last piece of food (the last of `cores`); null when it named no food. */
  lethality: RecordLethality | null;
  segments: RecordSegment[];
  cores: RecordCore[];
  alarms: RecordEvent[];
  actions: RecordAction[];
  curve: CurvePoint[];
}

const GUIDANCE = 'Modelled core (docs/food-safety.md): guidance, not a measurement.';

function foodView(spec: CookSpec): RecordFood {
  return {
    label: spec.food ?? null,
    kind: spec.foodKind ?? null,
    shape: spec.foodKind ? (spec.foodShape ?? 'slab') : null,
    thicknessMm: spec.thicknessMm ?? null,
  };
}

/** The spec versions in force over [startedTs, end): sorted, the first from the start. */
function versionsOf(x: CookRecordInput): RecordSpecVersion[] {
  const given = x.specs && x.specs.length > 0 ? [...x.specs].sort((a, b) => a.ts - b.ts) : [{ ts: x.startedTs, spec: x.spec }];
  const out: RecordSpecVersion[] = [];
  for (const v of given) {
    const ts = Math.max(x.startedTs, v.ts);
    if (out.length > 0 && out[out.length - 1]!.ts === ts) out[out.length - 1] = { ts, spec: v.spec };
    else out.push({ ts, spec: v.spec });
  }
  return out;
}

/** The first `reached` of the cook (at or after its start): when the food goes in (rule 4). */
export function foodInTsOf(events: readonly RecordEvent[], startedTs: number, endedTs: number | null): number | null {
  let first: number | null = null;
  for (const e of events)
    if (e.type === 'reached' && e.ts >= startedTs && (endedTs === null || e.ts <= endedTs) && (first === null || e.ts < first))
      first = e.ts;
  return first;
}

export function buildCookRecord(x: CookRecordInput): CookRecordView {
  const valid = x.readings.filter((r): r is { ts: number; tempC: number } => r.tempC !== null && Number.isFinite(r.tempC));
  const versions = versionsOf(x);
  const last = versions[versions.length - 1]!.spec;
  const segments: RecordSegment[] = versions.map((v, i) => ({
    fromTs: v.ts,
    toTs: i + 1 < versions.length ? versions[i + 1]!.ts : x.endedTs,
    targetC: v.spec.targetC,
    durationMin: v.spec.durationMin ?? null,
    food: foodView(v.spec),
    atOrAboveTargetMs: 0,
    newCore: i === 0 || foodKey(v.spec) !== foodKey(versions[i - 1]!.spec),
  }));
  const segmentAt = (ts: number) => {
    let k = 0;
    while (k + 1 < segments.length && segments[k + 1]!.fromTs <= ts) k++;
    return segments[k]!;
  };

  let danger = 0;
  let gapMs = 0;
  const gaps: RecordGap[] = [];
  for (let i = 1; i < valid.length; i++) {
    const a = valid[i - 1]!;
    const b = valid[i]!;
    const dt = b.ts - a.ts;
    if (dt <= 0) continue;
    if (dangerCounts(inDangerZone(a.tempC), inDangerZone(b.tempC))) danger += dt;
    if (dt > OBSERVED_GAP_MS) {
      gapMs += dt;
      gaps.push({ fromTs: a.ts, toTs: b.ts, fromC: a.tempC, toC: b.tempC });
      continue;
    }
    const seg = segmentAt(a.ts);
    if (bathBetween(a.tempC, b.tempC) >= seg.targetC - AT_TARGET_BAND_C) seg.atOrAboveTargetMs += dt;
  }

  const foodInTs = foodInTsOf(x.events, x.startedTs, x.endedTs);
  const cores = coresOf(versions, x.endedTs, foodInTs, valid);
  const temps = valid.map((r) => r.tempC);
  return {
    id: x.cookId,
    deviceId: x.deviceId,
    gatewayId: x.gatewayId,
    who: [...new Set(x.actions.filter((a) => a.action.startsWith('cook')).map((a) => a.actor))],
    startedTs: x.startedTs,
    endedTs: x.endedTs,
    state: x.state,
    food: foodView(last),
    targetC: last.targetC,
    durationMin: last.durationMin ?? null,
    readings: x.readings.length,
    minC: temps.length ? Math.min(...temps) : null,
    maxC: temps.length ? Math.max(...temps) : null,
    dangerZoneMs: danger,
    gapMs,
    gaps,
    atOrAboveTargetMs: segments.reduce((s, g) => s + g.atOrAboveTargetMs, 0),
    foodInTs,
    lethality: cores[cores.length - 1]!.lethality,
    segments,
    cores,
    alarms: x.events.filter((e) => e.severity === 'alarm' || e.severity === 'critical'),
    actions: [...x.actions],
    curve: curveOf(valid, CURVE_POINTS),
  };
}

/**
 * One core per piece of food (rule 4): consecutive versions with the same food share a core; each
 * core is fed the readings from when its food went in (its version's start, or the first
 * `reached` if later) to the next food change.
 */
function coresOf(
  versions: readonly RecordSpecVersion[],
  endedTs: number | null,
  foodInTs: number | null,
  readings: readonly { ts: number; tempC: number }[],
): RecordCore[] {
  const spans: { fromTs: number; toTs: number | null; spec: CookSpec }[] = [];
  versions.forEach((v, i) => {
    const toTs = i + 1 < versions.length ? versions[i + 1]!.ts : endedTs;
    const prev = spans[spans.length - 1];
    if (prev && foodKey(prev.spec) === foodKey(v.spec)) {
      prev.toTs = toTs;
      prev.spec = v.spec;
    } else spans.push({ fromTs: v.ts, toTs, spec: v.spec });
  });
  return spans.map((s) => ({ fromTs: s.fromTs, toTs: s.toTs, food: foodView(s.spec), lethality: lethalityOf(s, foodInTs, readings) }));
}

function lethalityOf(
  span: { fromTs: number; toTs: number | null; spec: CookSpec },
  foodInTs: number | null,
  readings: readonly { ts: number; tempC: number }[],
): RecordLethality | null {
  const food = foodOf(span.spec);
  if (food === null) return null;
  const track = new CoreTrack(food);
  const fromTs = foodInTs === null ? null : Math.max(span.fromTs, foodInTs);
  const inBath = fromTs !== null && (span.toTs === null || fromTs < span.toTs);
  if (inBath)
    for (const r of readings) {
      if (r.ts < fromTs) continue;
      if (span.toTs !== null && r.ts >= span.toTs) break;
      track.onBath(r.ts, r.tempC);
    }
  const m = track.model;
  return {
    guidance: GUIDANCE,
    fromTs: inBath ? fromTs : null,
    pathogens: FOODS[food.kind].targets.map((p, i) => ({ name: p.name, logs: round2(m.logs[i]!), needed: p.logs })),
    fraction: round2(Math.min(1, m.progress)),
    pasteurized: m.pasteurized,
    pasteurizedTs: track.pasteurizedTs,
    coreMaxC: round2(track.coreMaxC),
    unobservedMs: track.unobservedMs,
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
