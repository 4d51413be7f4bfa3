import t from 'tap';
import { Conduction } from './conduction.js';
import { FOODS } from './foods.js';
import { CoreModel, pasteurizationMinutes } from './pasteurize.js';

t.test('conduction: the core lags the surface and settles at the bath temperature', async (t) => {
  const body = new Conduction(FOODS['beef-pork'].thermal, 'slab', 30, 5);
  body.step(600, 60);
  t.ok(body.surfaceC > body.coreC, `after 10 min surface ${body.surfaceC.toFixed(1)} > core ${body.coreC.toFixed(1)}`);
  t.ok(body.coreC > 5 && body.coreC < 60);
  for (let i = 0; i < 200; i++) body.step(60, 60);
  t.ok(Math.abs(body.coreC - 60) < 0.05, `after 3⅓ h the core is at ${body.coreC.toFixed(3)} °C`);
});

t.test('conduction: the slab solution matches the analytic series (Biot → ∞ limit)', async (t) => {
  // A huge h makes the surface follow the bath; the core of a slab of half-thickness L is then
  // θ = Σ 4(−1)ⁿ/((2n+1)π) exp(−((2n+1)π/2)² α t / L²).
  const thermal = { ...FOODS['beef-pork'].thermal, hWPerM2K: 1e7 };
  const body = new Conduction(thermal, 'slab', 40, 0);
  const L = 0.02;
  const tS = 3600;
  for (let i = 0; i < 360; i++) body.step(10, 1);
  let theta = 0;
  for (let n = 0; n < 50; n++) {
    const k = ((2 * n + 1) * Math.PI) / 2;
    theta += ((4 * (-1) ** n) / ((2 * n + 1) * Math.PI)) * Math.exp((-k * k * thermal.alphaM2PerS * tS) / (L * L));
  }
  const exact = 1 - theta;
  t.ok(Math.abs(body.coreC - exact) < 0.01, `numeric ${body.coreC.toFixed(4)} vs analytic ${exact.toFixed(4)}`);
});

t.test('shapes: a sphere heats faster than a cylinder, a cylinder faster than a slab', async (t) => {
  const minutes = (shape: 'slab' | 'cylinder' | 'sphere') => pasteurizationMinutes({ kind: 'poultry', shape, thicknessMm: 50 }, 62)!;
  t.ok(minutes('sphere') < minutes('cylinder'), `sphere ${minutes('sphere').toFixed(0)} < cylinder ${minutes('cylinder').toFixed(0)}`);
  t.ok(minutes('cylinder') < minutes('slab'), `cylinder < slab ${minutes('slab').toFixed(0)}`);
});

t.test('a bath that sags moves safe-at later; one below the pasteurizing range never pasteurizes', async (t) => {
  const spec = { kind: 'poultry' as const, shape: 'slab' as const, thicknessMm: 30 };
  const steady = new CoreModel(spec);
  const sagged = new CoreModel(spec);
  for (let s = 0; s < 3600; s += 10) {
    steady.advance(10, 62);
    sagged.advance(10, s >= 1800 && s < 2700 ? 57 : 62); // a 15-min sag to 57 °C
  }
  t.ok(sagged.progress < steady.progress, 'the sag costs lethality');
  const a = steady.forecastSafeS(() => 62, 48 * 3600)!;
  const b = sagged.forecastSafeS(() => 62, 48 * 3600)!;
  t.ok(b > a, `safe ${((b - a) / 60).toFixed(1)} min later after the sag`);
  t.equal(
    new CoreModel(spec).forecastSafeS(() => 53, 48 * 3600),
    null,
    'a 53 °C bath never pasteurizes poultry',
  );
  t.equal(pasteurizationMinutes({ ...spec, kind: 'beef-pork' }, 54), null, 'nor beef at 54 °C');
});

t.test('lethality accumulates only while the core is hot, and forecasting does not change the model', async (t) => {
  const m = new CoreModel({ kind: 'beef-pork', shape: 'cylinder', thicknessMm: 40 });
  m.advance(600, 20);
  t.equal(m.progress, 0, 'no lethality at 20 °C');
  m.advance(3600, 58);
  const before = m.progress;
  t.ok(before > 0 && before < 1, `partial progress ${before.toFixed(2)}`);
  const s = m.forecastSafeS(() => 58, 24 * 3600);
  t.ok(s !== null && s > 0);
  t.equal(m.progress, before, 'the forecast ran on a copy');
  m.advance(s! + 60, 58);
  t.ok(m.pasteurized, 'advancing by the forecast pasteurizes');
});
