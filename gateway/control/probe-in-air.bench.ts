/**
 * A probe that slips out of the water into air the bath itself warms (the vapour just above the
 * water, or a lid the bath heats), measured in the thermal simulator: the engine + watchdog hold
 * a cook for 2 h, then the probe reads room + k × (water − room) through its 60 s air lag
 * (`ThermalSim.injectFault('out_of_bath', { airCoupling: k })`) for 3 h while the bath heats or
 * cools unseen. Prints one markdown row per target and servo: how hot the unseen water got, and
 * whether and when the cook was alarmed. A second table slips the probe out early in a heat-up
 * (the water at 21–27 °C, from a 20 °C start) into air at k 0 (the room), 0.5 or 0.8, for 90 min.
 * A third adds cold water or food early in a heat-up, the price of the heat-up fall (ADR 060).
 * Deterministic (seeded); docs/control.md quotes it.
 * Run: npx tsx gateway/control/probe-in-air.bench.ts
 */
import { AIR_BATHS } from '../testing/air-baths.js';
import { secondsLoop, startLoop } from '../testing/closed-loop.js';

const BATHS = AIR_BATHS;
const COUPLINGS = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.96];
const SEEDS = [1, 2, 3];
const HOLD_S = 2 * 3600;
const OUT_S = 3 * 3600;

interface Row {
  targetC: number;
  missProb: number;
  runs: number;
  /** Unseen water at the boil (100 °C). */
  boiled: number;
  /** Runs whose unseen water went more than 5 °C over the target. */
  over5: number;
  medianMaxC: number;
  maxC: number;
  /** Runs with no alarm or critical event after the slip. */
  unalarmed: number;
  /** The slowest first alarm after the slip, of the runs alarmed, s. */
  slowestAlarmS: number;
  /** Runs the fall rule caught (a sensor fault `fall`). */
  fallCaught: number;
}

/** The hottest unseen water of each run, summed up: runs, boils (100 °C), median and maximum. */
function hottest(maxes: number[]): { runs: number; boiled: number; medianMaxC: number; maxC: number } {
  const sorted = [...maxes].sort((a, b) => a - b);
  return {
    runs: maxes.length,
    boiled: maxes.filter((m) => m >= 99.9).length,
    medianMaxC: sorted[Math.floor(sorted.length / 2)]!,
    maxC: sorted[sorted.length - 1]!,
  };
}

function sweep(targetC: number, missProb: number): Row {
  const maxes: number[] = [];
  let unalarmed = 0;
  let slowest = 0;
  let fallCaught = 0;
  for (const bath of BATHS)
    for (const airCoupling of COUPLINGS)
      for (const seed of SEEDS) {
        const run = startLoop({ seed, missProb, servoLatencyMs: 1500, ...bath }, targetC);
        secondsLoop(run, HOLD_S);
        const outS = run.sim.tMs / 1000;
        run.sim.injectFault('out_of_bath', { airCoupling });
        secondsLoop(run, OUT_S);
        maxes.push(Math.max(...run.bath.filter((b) => b.tS > outS).map((b) => b.waterC)));
        const after = run.events.filter((e) => e.tS > outS);
        const alarm = after.find((e) => e.severity === 'alarm' || e.severity === 'critical');
        if (alarm === undefined) unalarmed++;
        else slowest = Math.max(slowest, alarm.tS - outS);
        if (after.some((e) => e.type === 'sensor_fault' && e.data?.kind === 'fall')) fallCaught++;
      }
  return {
    targetC,
    missProb,
    ...hottest(maxes),
    over5: maxes.filter((m) => m > targetC + 5).length,
    unalarmed,
    slowestAlarmS: slowest,
    fallCaught,
  };
}

const rows: Row[] = [];
for (const targetC of [56, 80]) for (const missProb of [0, 0.05]) rows.push(sweep(targetC, missProb));
console.log(
  `${BATHS.length} baths × ${COUPLINGS.length} couplings (k ${COUPLINGS[0]}–${COUPLINGS[COUPLINGS.length - 1]}) × ${SEEDS.length} seeds, 20 °C room, ${HOLD_S / 3600} h held, then ${OUT_S / 3600} h with the probe out\n`,
);
console.log(
  '| target | servo misses | runs | fall rule caught | unseen water > target + 5 °C | boiled | hottest (median / max) | never alarmed | slowest first alarm |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.targetC} °C | ${r.missProb * 100} % | ${r.runs} | ${r.fallCaught} | ${r.over5} | ${r.boiled} | ${r.medianMaxC.toFixed(1)} / ${r.maxC.toFixed(1)} °C | ${r.unalarmed} | ${Math.round(r.slowestAlarmS / 60)} min |`,
  );

/** A slip early in a heat-up (20 °C start, 56 °C cook), the probe out for 90 min. */
interface HeatUpRow {
  k: number;
  missProb: number;
  runs: number;
  over3: number;
  boiled: number;
  medianMaxC: number;
  maxC: number;
  unalarmed: number;
}

function heatUpSweep(k: number, missProb: number): HeatUpRow {
  const maxes: number[] = [];
  let unalarmed = 0;
  for (const bath of BATHS)
    for (const slipC of [21, 23, 25, 27])
      for (const seed of [1, 2]) {
        const run = startLoop({ seed, missProb, servoLatencyMs: 1500, ...bath, startC: 20, ambientC: 20 }, 56);
        while (run.sim.waterC < slipC) secondsLoop(run, 1);
        const outS = run.sim.tMs / 1000;
        run.sim.injectFault('out_of_bath', { airCoupling: k });
        secondsLoop(run, 90 * 60);
        maxes.push(Math.max(...run.bath.filter((b) => b.tS > outS).map((b) => b.waterC)));
        if (!run.events.some((e) => e.tS > outS && (e.severity === 'alarm' || e.severity === 'critical'))) unalarmed++;
      }
  return { k, missProb, ...hottest(maxes), over3: maxes.filter((m) => m > 59).length, unalarmed };
}

console.log(
  `\nSlipped early in a heat-up to 56 °C (water at 21–27 °C, 20 °C start), ${BATHS.length} baths × 4 slips × 2 seeds, 90 min out\n`,
);
console.log('| air k | servo misses | runs | unseen water > 59 °C | boiled | hottest (median / max) | never alarmed |');
console.log('|---|---|---|---|---|---|---|');
for (const k of [0, 0.5, 0.8])
  for (const missProb of [0, 0.05]) {
    const r = heatUpSweep(k, missProb);
    console.log(
      `| ${r.k} | ${r.missProb * 100} % | ${r.runs} | ${r.over3} | ${r.boiled} | ${r.medianMaxC.toFixed(1)} / ${r.maxC.toFixed(1)} °C | ${r.unalarmed} |`,
    );
  }

/**
 * The price of the heat-up fall (ADR 060): cold water or food added in the first part of a heat-up
 * pulls the water down while its heater heats it, which is what a probe slipping into warm air
 * looks like. Per load: how many of the runs tripped a fall, and how many were held off with an
 * alarm at the end of 2 h (not heating: a fault or a hold standing, until the cook is started
 * again). 6 baths × 20 °C or hot-tap 45 °C start × a 56 or 80 °C cook × added 15 % of the way
 * up, a servo that never misses.
 */
const LOADS: { name: string; add: (run: ReturnType<typeof startLoop>) => void }[] = [
  { name: '0.5 L of water at 15 °C', add: (r) => r.sim.addWater(0.5, 15) },
  { name: '1 L of water at 15 °C', add: (r) => r.sim.addWater(1, 15) },
  { name: '2 L of water at 15 °C', add: (r) => r.sim.addWater(2, 15) },
  { name: '1 kg of food from the fridge', add: (r) => r.sim.addFood(1, 4) },
  { name: '2 kg of food from the fridge', add: (r) => r.sim.addFood(2, 4) },
  { name: '2 kg of thin cuts from the fridge', add: (r) => r.sim.addFood(2, 4, 30) },
  { name: '1 kg of frozen food', add: (r) => r.sim.addFood(1, -18) },
  { name: 'none (the heat-up alone)', add: () => {} },
];

console.log(
  `\nCold water or food added 15 % of the way up a heat-up (${BATHS.length} baths × 20 or 45 °C start × 56 or 80 °C cook), 2 h after\n`,
);
console.log('| added | runs | tripped a fall | held off at the end |');
console.log('|---|---|---|---|');
for (const load of LOADS) {
  let runs = 0;
  let falls = 0;
  let held = 0;
  for (const bath of BATHS)
    for (const startC of [20, 45])
      for (const targetC of [56, 80]) {
        const run = startLoop({ seed: 1, missProb: 0, servoLatencyMs: 1500, ...bath, startC, ambientC: 20 }, targetC);
        while (run.sim.waterC < startC + 0.15 * (targetC - startC)) secondsLoop(run, 1);
        const inS = run.sim.tMs / 1000;
        load.add(run);
        secondsLoop(run, 2 * 3600);
        runs++;
        if (run.events.some((e) => e.tS >= inS && e.type === 'sensor_fault' && e.data?.kind === 'fall')) falls++;
        if (run.state.engine.inhibit !== null) held++;
      }
  console.log(`| ${load.name} | ${runs} | ${falls} | ${held} |`);
}
