/**
 * Food put in when the water is ready, with a servo that never misses: how often the cook raises
 * alarms it should not (a press judged missed, an over-temperature) because the food takes heat
 * the engine's model does not know of. The food goes in at, or 2, 10 or 30 min after, `reached`
 * (the notification says "the food can go in"); 6 baths × 20 or 45 °C start × 56, 60 or 80 °C ×
 * 2 seeds; 3 h after. Deterministic (seeded); docs/control.md quotes it.
 * Run: npx tsx gateway/control/food-at-ready.bench.ts
 */
import { AIR_BATHS } from '../testing/air-baths.js';
import { secondsLoop, startLoop, untilReachedLoop } from '../testing/closed-loop.js';

const LOADS = [
  { name: '1 kg from the fridge', kg: 1, tempC: 4 },
  { name: '2 kg from the fridge', kg: 2, tempC: 4 },
];
const AFTER_MIN = [0, 2, 10, 30];

console.log('| food | put in after `reached` | runs | alarmed | over-temperature | hottest over target (max) | alarms raised |');
console.log('|---|---|---|---|---|---|---|');
for (const load of LOADS)
  for (const afterMin of AFTER_MIN) {
    let runs = 0;
    let alarmed = 0;
    let overTemp = 0;
    let worstOverC = 0;
    const types: Record<string, number> = {};
    for (const bath of AIR_BATHS)
      for (const startC of [20, 45])
        for (const targetC of [56, 60, 80])
          for (const seed of [1, 2]) {
            const run = startLoop({ seed, missProb: 0, servoLatencyMs: 1500, ...bath, startC, ambientC: 20 }, targetC);
            untilReachedLoop(run);
            secondsLoop(run, afterMin * 60);
            const inS = run.sim.tMs / 1000;
            run.sim.addFood(load.kg, load.tempC);
            secondsLoop(run, 3 * 3600);
            runs++;
            const alarms = run.events.filter((e) => e.tS >= inS && (e.severity === 'alarm' || e.severity === 'critical'));
            for (const a of alarms) types[a.type] = (types[a.type] ?? 0) + 1;
            if (alarms.length > 0) alarmed++;
            if (alarms.some((a) => a.type === 'over_temp')) overTemp++;
            worstOverC = Math.max(worstOverC, ...run.bath.filter((b) => b.tS > inS).map((b) => b.waterC - targetC));
          }
    const raised = Object.entries(types)
      .sort((a, b) => b[1] - a[1])
      .map(([t, n]) => `${t} ${n}`)
      .join(', ');
    console.log(`| ${load.name} | ${afterMin} min | ${runs} | ${alarmed} | ${overTemp} | ${worstOverC.toFixed(1)} °C | ${raised} |`);
  }
