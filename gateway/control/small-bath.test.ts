import t from 'tap';
import type { KitParams } from '../../shared/thermal/params.js';
import { secondsLoop, startLoop } from '../testing/closed-loop.js';

/**
 * Small, fast baths with a servo that never misses (ADR 054): a rice cooker or a small pot heats
 * 0.08–0.16 °C/s, two to three times the fastest bath of `bench control`'s matrix. The engine
 * judged working presses missed there, on figures the bath had not taught yet: an 8 L bath's
 * prior pulse gain (a fifth of a 1.5 L pot's) and cooling rate, and a long pulse's coast. Each
 * false "missed" pressed again, and a press is a toggle: a heater that was off went back on. Before
 * the fix these cooks overshot to 68.9–71.8 °C with 1–18 over-temperature trips in 2 h each, and
 * 2–45 working presses judged missed. Assertions are on the simulated water and the events.
 */

const CELLS: { name: string; p: Partial<KitParams> }[] = [
  { name: '1.5 L · 600 W · lidded', p: { volumeL: 1.5, heaterW: 600, uaWPerK: 1.5 } },
  { name: '2 L · 1000 W · lidded', p: { volumeL: 2, heaterW: 1000, uaWPerK: 1.5 } },
  { name: '3 L · 1000 W · lidded', p: { volumeL: 3, heaterW: 1000, uaWPerK: 1.5 } },
  { name: '3 L · 1500 W · open pot', p: { volumeL: 3, heaterW: 1500, uaWPerK: 5 } },
];

for (const cell of CELLS) {
  for (const startC of [20, 50]) {
    t.test(`${cell.name}, from ${startC} °C to 60 °C, no press missed`, async (t) => {
      for (const seed of [1, 2]) {
        const run = startLoop({ ...cell.p, startC, seed, missProb: 0 }, 60);
        secondsLoop(run, 2 * 3600);
        t.ok(
          run.events.some((e) => e.type === 'reached'),
          `seed ${seed}: reached`,
        );
        const judgedMissed = run.events.filter((e) => e.type === 'press_missed' || e.type === 'state_drift');
        t.same(
          judgedMissed.map((e) => `${e.tS}: ${e.type}`),
          [],
          `seed ${seed}: no working press judged missed, no drift inferred`,
        );
        t.same(
          run.events.filter((e) => e.type === 'over_temp').map((e) => e.tS),
          [],
          `seed ${seed}: never over the limit`,
        );
        const hottest = Math.max(...run.bath.map((b) => b.waterC));
        t.ok(hottest <= 62.2, `seed ${seed}: hottest ${hottest.toFixed(2)} °C`);
      }
    });
  }
}
