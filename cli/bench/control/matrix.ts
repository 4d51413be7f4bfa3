import { heatCapacityJPerK } from '../../../shared/thermal/params.js';
import { type Cell, type ControllerKind, GOALS, type RunMetrics, runCell } from './closed-loop.js';
import { type DetectBound, detectBound } from './detect-bound.js';

/**
 * The control-quality matrix (docs/control.md): 5/8/15 L × 800/1200 W × UA 0.6/5 W/K × servo latency
 * 0.5/1.5/3 s, each with 5 % missed presses, for the engine and for plain hysteresis.
 */
export const TARGETS = {
  p95ErrC: 0.3,
  overshootC: 0.5,
  pressesPerHour: 40,
  heatUpRatio: 1.15,
  detectS: 60,
  faultToOffS: 5,
} as const;

export interface MatrixOptions {
  missProb: number;
  hours: number;
  targetC: number;
  volumesL?: number[];
  heatersW?: number[];
  uas?: number[];
  latenciesMs?: number[];
}

export interface CellResult {
  cell: Cell;
  /** Floor of p95 |error| set by the 30 s dwell: the shortest pulse heats the bath by P·30 s/C. */
  dwellFloorC: number;
  /** How soon any test could tell a missed press from a taken one in this cell (detect-bound.ts). */
  detectBound: DetectBound;
  engine: Omit<RunMetrics, 'trace' | 'marks'>;
  hysteresis: Omit<RunMetrics, 'trace' | 'marks'>;
}

export function runMatrix(o: MatrixOptions): CellResult[] {
  const out: CellResult[] = [];
  let seed = 1;
  for (const volumeL of o.volumesL ?? [5, 8, 15])
    for (const heaterW of o.heatersW ?? [800, 1200])
      for (const uaWPerK of o.uas ?? [0.6, 5])
        for (const servoLatencyMs of o.latenciesMs ?? [500, 1500, 3000]) {
          const cell: Cell = { volumeL, heaterW, uaWPerK, servoLatencyMs, missProb: o.missProb, seed: seed++ };
          const run = (kind: ControllerKind) => {
            const {
              trace: _trace,
              marks: _marks,
              ...m
            } = runCell(cell, kind, { hours: o.hours, targetC: o.targetC, faultAfterS: (o.hours - 0.75) * 3600 });
            return m;
          };
          const dwellRiseC = (heaterW * 30) / heatCapacityJPerK({ volumeL });
          out.push({
            cell,
            dwellFloorC: 0.95 * (dwellRiseC / 2),
            detectBound: detectBound(cell),
            engine: run('engine'),
            hysteresis: run('hysteresis'),
          });
        }
  return out;
}

export interface Summary {
  cells: number;
  /** Cells meeting each target, per controller. */
  meets: Record<ControllerKind, Record<keyof typeof TARGETS, number>>;
  worst: Record<
    ControllerKind,
    { p95ErrC: number; overshootC: number; pressesPerHour: number; heatUpRatio: number; detectS: number | null; faultToOffS: number | null }
  >;
  missed: number;
  detected: number;
}

export function summarize(results: CellResult[]): Summary {
  const meets = { engine: zero(), hysteresis: zero() };
  const worst = { engine: blankWorst(), hysteresis: blankWorst() };
  let missed = 0;
  let detected = 0;
  for (const r of results) {
    missed += r.engine.missed;
    detected += r.engine.detected;
    for (const k of ['engine', 'hysteresis'] as const) {
      const m = r[k];
      const w = worst[k];
      if (m.p95ErrC !== null && m.p95ErrC <= TARGETS.p95ErrC) meets[k].p95ErrC++;
      if (m.overshootC !== null && m.overshootC <= TARGETS.overshootC) meets[k].overshootC++;
      if (m.maxPressesInHour <= TARGETS.pressesPerHour) meets[k].pressesPerHour++;
      if (m.heatUpRatio !== null && m.heatUpRatio <= TARGETS.heatUpRatio) meets[k].heatUpRatio++;
      if (m.missed === 0 || (m.detected >= m.missed && (m.detectMaxS ?? 0) <= TARGETS.detectS)) meets[k].detectS++;
      if (m.faultToOffAfterThirdS !== null && m.faultToOffAfterThirdS <= TARGETS.faultToOffS) meets[k].faultToOffS++;
      w.p95ErrC = Math.max(w.p95ErrC, m.p95ErrC ?? Number.POSITIVE_INFINITY);
      w.overshootC = Math.max(w.overshootC, m.overshootC ?? Number.POSITIVE_INFINITY);
      w.pressesPerHour = Math.max(w.pressesPerHour, m.maxPressesInHour);
      w.heatUpRatio = Math.max(w.heatUpRatio, m.heatUpRatio ?? Number.POSITIVE_INFINITY);
      if (m.detectMaxS !== null) w.detectS = Math.max(w.detectS ?? 0, m.detectMaxS);
      if (m.faultToOffAfterThirdS !== null) w.faultToOffS = Math.max(w.faultToOffS ?? 0, m.faultToOffAfterThirdS);
    }
  }
  return { cells: results.length, meets, worst, missed, detected };
}

function zero(): Record<keyof typeof TARGETS, number> {
  return { p95ErrC: 0, overshootC: 0, pressesPerHour: 0, heatUpRatio: 0, detectS: 0, faultToOffS: 0 };
}

function blankWorst() {
  return {
    p95ErrC: 0,
    overshootC: 0,
    pressesPerHour: 0,
    heatUpRatio: 0,
    detectS: null as number | null,
    faultToOffS: null as number | null,
  };
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The control goals of docs/control.md, over the matrix with misses (`main`) and without (`ideal`), engine only. */
export interface GoalSummary {
  cells: number;
  /** Cells where every detected miss was detected within GOALS.detectWithinS of its command. */
  detectWithinS: { target: number; cellsMet: number; worstS: number | null; cellsWithMisses: number; cellsWithMissesMet: number };
  /** Misses detected (at any time, and within the time goal) of all misses, with misses. */
  detectedShare: { target: number; missed: number; detected: number; detectedInTime: number; share: number | null };
  /** Detections that named a press that had worked (with misses / without). */
  falseMisses: { main: number; ideal: number };
  /** Cells where the engine's p95 |error| is below hysteresis' (with misses / without). */
  beatsHysteresis: { main: number; ideal: number };
  /** Cells where even an ideal test needs more than GOALS.detectWithinS to err ≤ 0.1 % (detect-bound.ts). */
  physicallyLate: { cells: number; worstBoundS: number };
  /** Cells without misses whose p95 |error| ≤ dwell floor + GOALS.floorMarginC. */
  nearFloor: { marginC: number; cellsMet: number; worstExcessC: number };
}

export function goals(main: CellResult[], ideal: CellResult[]): GoalSummary {
  let missed = 0;
  let detected = 0;
  let inTime = 0;
  let cellsInTime = 0;
  let worst: number | null = null;
  let withMisses = 0;
  let withMissesMet = 0;
  for (const r of main) {
    const e = r.engine;
    missed += e.missed;
    detected += e.detected;
    inTime += e.detectedInTime;
    const met = e.detectMaxS === null || e.detectMaxS <= GOALS.detectWithinS;
    if (met) cellsInTime++;
    if (e.missed > 0) {
      withMisses++;
      if (met && e.detected >= e.missed) withMissesMet++;
    }
    if (e.detectMaxS !== null) worst = Math.max(worst ?? 0, e.detectMaxS);
  }
  const beats = (rs: CellResult[]) =>
    rs.filter((r) => r.engine.p95ErrC !== null && r.hysteresis.p95ErrC !== null && r.engine.p95ErrC < r.hysteresis.p95ErrC).length;
  const excess = ideal.map((r) => (r.engine.p95ErrC ?? Number.POSITIVE_INFINITY) - r.dwellFloorC);
  return {
    cells: main.length,
    detectWithinS: {
      target: GOALS.detectWithinS,
      cellsMet: cellsInTime,
      worstS: worst,
      cellsWithMisses: withMisses,
      cellsWithMissesMet: withMissesMet,
    },
    detectedShare: {
      target: GOALS.detectedShare,
      missed,
      detected,
      detectedInTime: inTime,
      share: missed === 0 ? null : detected / missed,
    },
    falseMisses: { main: sum(main, (r) => r.engine.falseMisses), ideal: sum(ideal, (r) => r.engine.falseMisses) },
    beatsHysteresis: { main: beats(main), ideal: beats(ideal) },
    physicallyLate: {
      cells: main.filter((r) => r.detectBound.within01PctS > GOALS.detectWithinS).length,
      worstBoundS: Math.max(...main.map((r) => r.detectBound.within01PctS)),
    },
    nearFloor: {
      marginC: GOALS.floorMarginC,
      cellsMet: excess.filter((x) => x <= GOALS.floorMarginC).length,
      worstExcessC: Math.max(...excess),
    },
  };
}

function sum(rs: CellResult[], f: (r: CellResult) => number): number {
  return rs.reduce((a, r) => a + f(r), 0);
}
