import type { CellResult, GoalSummary, Summary } from './matrix.js';
import { TARGETS } from './matrix.js';
import type { StepCost } from './step-cost.js';

/** Markdown for docs/benchmarks.md (section bench:control) and a plain-text table for the terminal. */
export interface ReportInput {
  main: CellResult[];
  mainSummary: Summary;
  ideal: CellResult[];
  idealSummary: Summary;
  goals: GoalSummary;
  hours: number;
  targetC: number;
  elapsedMs: number;
  cost: StepCost;
}

const f = (v: number | null, d = 2) => (v === null || !Number.isFinite(v) ? '—' : v.toFixed(d));
const pct = (p: number) => (p < 0.0005 ? '< 0.1 %' : `${(p * 100).toFixed(1)} %`);
const mark = (ok: boolean) => (ok ? '' : ' ✗');

function cellName(r: CellResult): string {
  const c = r.cell;
  return `${c.volumeL} L · ${c.heaterW} W · UA ${c.uaWPerK} · ${c.servoLatencyMs / 1000} s`;
}

function pair(e: number | null, h: number | null, target: number, d = 2): string {
  return `${f(e, d)}${mark(e !== null && e <= target)} / ${f(h, d)}${mark(h !== null && h <= target)}`;
}

export function markdown(r: ReportInput): string {
  const n = r.mainSummary.cells;
  const m = r.mainSummary.meets;
  const i = r.idealSummary.meets;
  const lines: string[] = [];
  lines.push('## Control quality (`sousvide bench control`)');
  lines.push('');
  lines.push(
    `The real engine + watchdog (gateway/control) and the design's plain ±0.5 °C deadband, each against the thermal simulator ` +
      `(shared/thermal) in simulated time: ${r.hours} h per cell, target ${r.targetC} °C from 20 °C, 1 Hz telemetry, probe lag 8 s, ` +
      `element lag 20 s, DS18B20 quantisation and noise; errors are measured on the true water temperature. ` +
      `Hold statistics run from reach + 15 min until a probe disconnect is injected at the first heater-on moment after ${r.hours - 0.75} h. ` +
      `Deterministic (seeded); run time ${(r.elapsedMs / 1000).toFixed(1)} s.`,
  );
  lines.push('');
  lines.push(`### Targets met (of ${n} cells), engine vs hysteresis`);
  lines.push('');
  lines.push('| target | engine, 5 % missed | hysteresis, 5 % missed | engine, no misses | hysteresis, no misses |');
  lines.push('|---|---|---|---|---|');
  const row = (label: string, k: keyof typeof TARGETS) =>
    lines.push(`| ${label} | ${m.engine[k]} | ${m.hysteresis[k]} | ${i.engine[k]} | ${i.hysteresis[k]} |`);
  row(`p95 \\|error\\| after settling ≤ ${TARGETS.p95ErrC} °C`, 'p95ErrC');
  row(`overshoot ≤ ${TARGETS.overshootC} °C`, 'overshootC');
  row(`≤ ${TARGETS.pressesPerHour} presses in any hour`, 'pressesPerHour');
  row(`heat-up ≤ ${TARGETS.heatUpRatio} × physical minimum`, 'heatUpRatio');
  row(`every missed press detected ≤ ${TARGETS.detectS} s`, 'detectS');
  row(`heater off ≤ ${TARGETS.faultToOffS} s after the 3rd bad reading`, 'faultToOffS');
  lines.push('');
  lines.push(...goalLines(r.goals).map((l) => `- ${l}`));
  lines.push('');
  const w = r.mainSummary.worst;
  lines.push(
    `Worst cell, engine (5 % missed): p95 |error| ${f(w.engine.p95ErrC)} °C, overshoot ${f(w.engine.overshootC)} °C, ` +
      `${w.engine.pressesPerHour} presses/h, heat-up ${f(w.engine.heatUpRatio)} ×, detection ${f(w.engine.detectS, 0)} s, ` +
      `fault → off ${f(w.engine.faultToOffS, 0)} s where the heater went off. Missed presses: ${r.mainSummary.detected} of ${r.mainSummary.missed} detected. ` +
      `In ${r.main.filter((c) => c.engine.faultToOffAfterThirdS === null).length} cells the fail-safe press itself was one of the 5 % that miss: ` +
      `with the probe gone nothing can see it (no fault → off time, one undetected miss; the watchdog's sensor_fault alarm stands, see docs/control.md).`,
  );
  lines.push('');
  lines.push(
    `CPU per control step (engine + watchdog, one telemetry message): p50 ${r.cost.p50Us.toFixed(1)} µs, p99 ${r.cost.p99Us.toFixed(1)} µs ` +
      `over ${r.cost.steps} steps on this machine; the gateway's telemetry → command latency adds its own I/O on top. ` +
      `Control state per kit mid-cook: ${r.cost.bytesPerKit === null ? '—' : `${(r.cost.bytesPerKit / 1024).toFixed(1)} KiB`} of heap.`,
  );
  lines.push('');
  lines.push('### Per cell, 5 % missed presses (engine / hysteresis; ✗ = misses the target)');
  lines.push('');
  lines.push(
    '| cell (volume · heater · UA W/K · servo latency) | heat-up × min | overshoot °C | p95 \\|err\\| °C | dwell floor °C | presses/h (max in 1 h) | missed → detected (max s) | ideal test: s to err ≤ 0.1 % (error at 20 s) | fault → off s |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const c of r.main) {
    const e = c.engine;
    const h = c.hysteresis;
    lines.push(
      `| ${cellName(c)} | ${pair(e.heatUpRatio, h.heatUpRatio, TARGETS.heatUpRatio)} | ${pair(e.overshootC, h.overshootC, TARGETS.overshootC)} | ` +
        `${pair(e.p95ErrC, h.p95ErrC, TARGETS.p95ErrC)} | ${f(c.dwellFloorC)} | ${f(e.pressesPerHour, 1)} (${e.maxPressesInHour}) / ${f(h.pressesPerHour, 1)} (${h.maxPressesInHour}) | ` +
        `${e.missed} → ${e.detected} (${f(e.detectMaxS, 0)}) / ${h.missed} → ${h.detected} | ${c.detectBound.within01PctS} (${pct(c.detectBound.errorAt20S)}) | ${f(e.faultToOffAfterThirdS, 0)} (${f(e.faultToOffS, 0)} from the fault) / — |`,
    );
  }
  lines.push('');
  lines.push(
    '*dwell floor*: 0.95 × half the rise of the shortest pulse (P × 30 s / C): no toggle controller that respects the 30 s minimum ' +
      'dwell can hold a p95 |error| below it. Hysteresis has no watchdog of its own (fault → off: —) and no miss detection: ' +
      'a missed press leaves it believing the kit.',
  );
  return lines.join('\n');
}

export function text(r: ReportInput): string {
  const out: string[] = [];
  out.push(`bench control: ${r.main.length} cells × 2 controllers, ${r.hours} h simulated each (${(r.elapsedMs / 1000).toFixed(1)} s)`);
  out.push('cell                              heat-up×  overshoot°C  p95|err|°C  floor  presses/h   missed→det(max s)  fault→off s');
  for (const c of r.main) {
    const e = c.engine;
    const h = c.hysteresis;
    out.push(
      `${cellName(c).padEnd(34)}${`${f(e.heatUpRatio)}/${f(h.heatUpRatio)}`.padEnd(10)}${`${f(e.overshootC)}/${f(h.overshootC)}`.padEnd(13)}` +
        `${`${f(e.p95ErrC)}/${f(h.p95ErrC)}`.padEnd(12)}${f(c.dwellFloorC).padEnd(7)}${`${e.maxPressesInHour}/${h.maxPressesInHour}`.padEnd(12)}` +
        `${`${e.missed}→${e.detected}(${f(e.detectMaxS, 0)})`.padEnd(19)}${f(e.faultToOffAfterThirdS, 0)}`,
    );
  }
  const m = r.mainSummary.meets;
  const n = r.mainSummary.cells;
  out.push('');
  out.push(
    `control step CPU: p50 ${r.cost.p50Us.toFixed(1)} µs, p99 ${r.cost.p99Us.toFixed(1)} µs (${r.cost.steps} steps); state ${r.cost.bytesPerKit ?? '—'} B per kit`,
  );
  out.push(`targets met (engine / hysteresis, of ${n}), 5 % missed presses:`);
  for (const k of Object.keys(TARGETS) as (keyof typeof TARGETS)[]) out.push(`  ${k.padEnd(15)} ${m.engine[k]} / ${m.hysteresis[k]}`);
  const i = r.idealSummary.meets;
  out.push('targets met, no missed presses:');
  for (const k of Object.keys(TARGETS) as (keyof typeof TARGETS)[]) out.push(`  ${k.padEnd(15)} ${i.engine[k]} / ${i.hysteresis[k]}`);
  out.push('goals (engine):');
  for (const l of goalLines(r.goals)) out.push(`  ${l}`);
  return out.join('\n');
}

/** The control goals, one line each (terminal and docs/benchmarks.md). */
function goalLines(g: GoalSummary): string[] {
  const n = g.cells;
  const d = g.detectedShare;
  const ok = (met: boolean) => (met ? 'met' : 'NOT met');
  return [
    `missed press detected ≤ ${g.detectWithinS.target} s in every cell: ${g.detectWithinS.cellsMet} of ${n} cells, of which ${g.detectWithinS.cellsWithMissesMet} of the ${g.detectWithinS.cellsWithMisses} cells that had misses (worst ${f(g.detectWithinS.worstS, 0)} s) — ${ok(g.detectWithinS.cellsMet === n)}`,
    `≥ ${d.target * 100} % of misses detected: ${d.detected} of ${d.missed} (${f(d.share === null ? null : d.share * 100, 1)} %; ${d.detectedInTime} within ${g.detectWithinS.target} s) — ${ok(d.share === null || d.share >= d.target)}`,
    `false misses (a working press judged missed): ${g.falseMisses.main} with 5 % misses, ${g.falseMisses.ideal} without`,
    `engine p95 |error| below hysteresis: ${g.beatsHysteresis.main} of ${n} cells with 5 % misses, ${g.beatsHysteresis.ideal} of ${n} without — ${ok(g.beatsHysteresis.main === n && g.beatsHysteresis.ideal === n)}`,
    `cells where no test can decide a press within ${g.detectWithinS.target} s at ≤ 0.1 % error (the physics, docs/control.md): ${g.physicallyLate.cells} of ${n} (worst ${g.physicallyLate.worstBoundS} s)`,
    `no misses, p95 |error| ≤ dwell floor + ${g.nearFloor.marginC} °C: ${g.nearFloor.cellsMet} of ${n} cells (worst ${f(g.nearFloor.worstExcessC)} °C over the floor) — ${ok(g.nearFloor.cellsMet === n)}`,
  ];
}
