import t from 'tap';
import { Telemetry } from '../protocol/messages.js';
import { DS18B20_LSB_C, heatCapacityJPerK, kitParams, physicalMinHeatUpMs } from './params.js';
import { ThermalSim } from './simulator.js';

function run(sim: ThermalSim, seconds: number): void {
  for (let i = 0; i < seconds; i++) sim.step(1000);
}

t.test('deterministic: the same seed gives the same telemetry', async (t) => {
  const a = new ThermalSim({ seed: 42, noiseSdC: 0.1 });
  const b = new ThermalSim({ seed: 42, noiseSdC: 0.1 });
  a.command({ op: 'press', expect: 'on' });
  b.command({ op: 'press', expect: 'on' });
  const ta = [];
  const tb = [];
  for (let i = 0; i < 200; i++) {
    a.step(1000);
    b.step(1000);
    ta.push(a.telemetry());
    tb.push(b.telemetry());
  }
  t.same(ta, tb);
  const c = new ThermalSim({ seed: 43, noiseSdC: 0.1 });
  c.command({ op: 'press', expect: 'on' });
  const tc = [];
  for (let i = 0; i < 200; i++) {
    c.step(1000);
    tc.push(c.telemetry());
  }
  t.not(JSON.stringify(tc), JSON.stringify(ta), 'another seed, another noise sequence');
});

t.test('telemetry is a valid PROTOCOL payload, quantised to the DS18B20 LSB', async (t) => {
  const sim = new ThermalSim({ probeOffsetC: 0.2 });
  for (let i = 0; i < 20; i++) {
    sim.step(1000);
    const m = sim.telemetry();
    t.ok(Telemetry.safeParse(m).success, `seq ${m.seq} parses`);
    t.equal(m.seq, i);
    t.equal(Math.round(m.tempC! / DS18B20_LSB_C) * DS18B20_LSB_C, m.tempC, 'a multiple of 0.0625 °C');
  }
  t.ok(Math.abs(sim.telemetry().tempC! - 20.2) < 0.15, 'offset applied');
});

t.test('physics: heats at P/C, loses UA(T − Ta), element and probe lag', async (t) => {
  const p = kitParams({ uaWPerK: 0.6, noiseSdC: 0, servoLatencyMs: 0 });
  const sim = new ThermalSim(p);
  sim.command({ op: 'press', expect: 'on' });
  sim.step(1);
  t.ok(sim.heaterOn, 'no latency: the press lands at once');
  run(sim, 5);
  t.ok(sim.heaterPowerW < 0.3 * p.heaterW, 'the element warms up with its own lag');
  run(sim, 595);
  const ideal = (p.heaterW * (600 - p.heaterTauS)) / heatCapacityJPerK(p);
  t.ok(Math.abs(sim.waterC - 20 - ideal) / ideal < 0.03, `rise ${(sim.waterC - 20).toFixed(2)} ≈ ${ideal.toFixed(2)} °C`);
  t.ok(sim.probeC < sim.waterC, 'the probe lags a rising bath');
  const minMs = physicalMinHeatUpMs(p, 60);
  const s2 = new ThermalSim({ ...p, startC: 20 });
  s2.command({ op: 'press', expect: 'on' });
  let tS = 0;
  while (s2.waterC < 60 && tS < 10_000) {
    s2.step(1000);
    tS++;
  }
  t.ok(Math.abs(tS * 1000 - minMs) / minMs < 0.02, `physical minimum ${Math.round(minMs / 1000)} s ≈ simulated ${tS} s`);
  t.equal(physicalMinHeatUpMs(kitParams({ uaWPerK: 5, heaterW: 100 }), 60), Number.POSITIVE_INFINITY, 'unreachable target');
});

t.test('servo: latency, toggling, missed presses, safe only when believed on', async (t) => {
  const sim = new ThermalSim({ servoLatencyMs: 2000 });
  t.same(
    sim.command({ op: 'press', expect: 'on' }),
    { ok: true, heater: true, afterMs: 2600 },
    'acked after the motion: 2 s + hold and return',
  );
  sim.step(1500);
  t.notOk(sim.heaterOn, 'not yet: servo latency');
  t.equal(sim.telemetry().heater, false, 'the kit reports its new belief only once the motion is over');
  sim.step(1000);
  t.ok(sim.heaterOn, 'pressed after 2 s');
  t.equal(sim.telemetry().heater, false, 'still moving back at 2.5 s');
  sim.step(100);
  t.equal(sim.telemetry().heater, true, 'reported from 2.6 s, when the Ack leaves');
  sim.command({ op: 'press', expect: 'off' });
  sim.step(3000);
  t.notOk(sim.heaterOn, 'each press toggles');
  sim.command({ op: 'safe' });
  sim.step(3000);
  t.equal(sim.presses, 2, 'safe with the belief off does not press');
  const miss = new ThermalSim({ missProb: 1, servoLatencyMs: 0 });
  miss.command({ op: 'press', expect: 'on' });
  miss.step(1000);
  t.notOk(miss.heaterOn, 'a missed press leaves the heater as it was');
  t.ok(miss.belief, 'but the kit believes it is on');
  t.equal(miss.telemetry().heater, true, 'and reports its belief');
  miss.command({ op: 'safe' });
  miss.step(1000);
  t.equal(miss.presses, 2, 'safe presses when the kit believes the heater on');
  // A servo fault injected on purpose: the next presses miss, then the servo works again.
  const forced = new ThermalSim({ servoLatencyMs: 0 });
  forced.missNextPresses(1);
  forced.command({ op: 'press', expect: 'on' });
  forced.step(1000);
  t.notOk(forced.heaterOn, 'the forced miss');
  forced.command({ op: 'press', expect: 'off' });
  forced.step(1000);
  t.ok(forced.heaterOn, 'the next press takes (it toggles the heater that stayed off on)');
  t.same([forced.presses, forced.missed], [2, 1]);
  t.throws(() => forced.missNextPresses(-1), RangeError);
  t.throws(() => forced.missNextPresses(1.5), RangeError);
});

t.test('fault injection: every kind', async (t) => {
  const sim = new ThermalSim({ startC: 60 });
  sim.step(1000);
  sim.injectFault('disconnected');
  t.same(pick(sim.telemetry()), { tempC: null, sensor: 'disconnected' });
  t.equal(sim.readRaw(), -127, 'the driver value');
  sim.injectFault('crc');
  t.same(pick(sim.telemetry()), { tempC: null, sensor: 'crc' });
  sim.clearFault();
  sim.injectFault('stuck');
  const stuck = sim.telemetry().tempC;
  sim.waterC = 70;
  sim.probeC = 70;
  run(sim, 10);
  t.equal(sim.telemetry().tempC, stuck, 'stuck keeps the old value while the bath moves');
  sim.clearFault();
  sim.injectFault('jump');
  t.ok(sim.telemetry().tempC! > 85, 'jump adds 20 °C');
  sim.clearFault();
  const seqBefore = sim.seq;
  sim.reboot();
  const first = sim.telemetry();
  t.same(
    { ...pick(first), boot: first.boot, seq: first.seq },
    { tempC: null, sensor: 'por', boot: 2, seq: 0 },
    'power-on 85 °C after boot',
  );
  t.ok(seqBefore > 0);
  t.equal(sim.telemetry().sensor, 'ok', 'the power-on value lasts one conversion');
  const hot = new ThermalSim({ startC: 60 });
  hot.injectFault('runaway');
  run(hot, 600);
  t.ok(hot.waterC > 70, 'runaway heats with the switch off');
  const crc = new ThermalSim({ crcProb: 0.5, seed: 3 });
  let bad = 0;
  for (let i = 0; i < 200; i++) if (crc.telemetry().sensor === 'crc') bad++;
  t.ok(bad > 60 && bad < 140, `random CRC failures (${bad}/200)`);
});

t.test('a range reading is classified as range', async (t) => {
  const sim = new ThermalSim({ startC: 60 });
  sim.injectFault('jump');
  sim.jumpC = 60;
  t.same(pick(sim.telemetry()), { tempC: null, sensor: 'range' });
});

function pick(m: { tempC: number | null; sensor: string }) {
  return { tempC: m.tempC, sensor: m.sensor };
}

t.test('water poured in mixes at once, and the bath is larger after', async (t) => {
  const sim = new ThermalSim({ volumeL: 8, startC: 60, uaWPerK: 0, heaterW: 1000, noiseSdC: 0 });
  sim.addWater(2, 10);
  t.equal(sim.waterC, 50, '8 L at 60 °C and 2 L at 10 °C make 10 L at 50 °C');
  t.ok(sim.probeC > 59, 'the probe follows with its lag');
  sim.step(60_000);
  t.ok(Math.abs(sim.probeC - 50) < 0.1, `a minute later it reads the mixture: ${sim.probeC.toFixed(2)} °C`);
  // 10 L heat more slowly than 8 L: 1000 W for 200 s, less the element's 20 s lag, gives
  // 180 kJ / 41.86 kJ/K = 4.3 °C (8 L would gain 5.4).
  sim.command({ op: 'press', expect: 'on' });
  for (let i = 0; i < 201; i++) sim.step(1000);
  const rise = sim.waterC - 50;
  t.ok(rise > 4.1 && rise < 4.6, `the larger bath warms at its new rate: +${rise.toFixed(2)} °C in 200 s`);
});

t.test('food put in takes heat from the water until both meet, energy conserved', async (t) => {
  const sim = new ThermalSim({ volumeL: 8, startC: 56, uaWPerK: 0, heaterW: 1000, noiseSdC: 0 });
  sim.addFood(2, 4);
  sim.step(1000);
  t.ok(sim.waterC < 56 && sim.waterC > 55.5, `the water starts to cool at once: ${sim.waterC.toFixed(3)} °C after 1 s`);
  for (let i = 0; i < 3600; i++) sim.step(1000);
  // 8 L at 56 °C (33.5 kJ/K) and 2 kg at 4 °C (7 kJ/K) meet at 47.0 °C.
  t.ok(Math.abs(sim.waterC - 47.0) < 0.05, `the water settles at ${sim.waterC.toFixed(2)} °C`);
  t.ok(Math.abs(sim.foodC - sim.waterC) < 0.05, `the food with it: ${sim.foodC.toFixed(2)} °C`);
});

t.test('frozen food holds at 0 °C while it thaws and takes its latent heat from the water', async (t) => {
  const sim = new ThermalSim({ volumeL: 8, startC: 56, uaWPerK: 0, heaterW: 1000, noiseSdC: 0 });
  sim.addFood(2, -18);
  t.equal(sim.foodC, -18, 'it goes in at −18 °C');
  for (let i = 0; i < 180; i++) sim.step(1000);
  // Warming the ice to 0 °C takes 65 kJ (about a minute at 24 W/K × 56 K); thawing then takes
  // 468 kJ, six minutes or more.
  t.equal(sim.foodC, 0, `three minutes in it is thawing at 0 °C (the water at ${sim.waterC.toFixed(1)} °C)`);
  for (let i = 0; i < 3 * 3600; i++) sim.step(1000);
  // 8 L at 56 °C (1,875 kJ above frozen-at-0) and 2 kg at −18 °C (−65 kJ) meet where the water's
  // 33.5 kJ/K and the food's 7 kJ/K share 1,811 kJ less the food's 468 kJ to thaw: 33.2 °C,
  // where the same food from the fridge meets the water at 47.0 °C.
  t.ok(Math.abs(sim.waterC - 33.16) < 0.05, `the water settles at ${sim.waterC.toFixed(2)} °C`);
  t.ok(Math.abs(sim.foodC - sim.waterC) < 0.05, `the food with it: ${sim.foodC.toFixed(2)} °C`);
});

t.test('a probe out of the water reads the air, which the bath warms by airCoupling and which follows the bath', async (t) => {
  // Held at 56 °C in a 20 °C room, no heat and no loss (UA 0), so the water stays where it is.
  const room = new ThermalSim({ seed: 3, ambientC: 20, startC: 56, uaWPerK: 0, noiseSdC: 0 });
  const vapour = new ThermalSim({ seed: 3, ambientC: 20, startC: 56, uaWPerK: 0, noiseSdC: 0 });
  room.injectFault('out_of_bath');
  vapour.injectFault('out_of_bath', { airCoupling: 0.9 });
  run(room, 600);
  run(vapour, 600);
  t.ok(Math.abs(room.read().tempC! - 20) <= 0.1, `in room air the probe reads the room: ${room.read().tempC} °C`);
  // 20 + 0.9 × (56 − 20) = 52.4 °C: a fall of under 4 °C, within the fall rule's reach of missing it.
  t.ok(Math.abs(vapour.read().tempC! - 52.4) <= 0.1, `in the bath's vapour it reads 52.4 °C: ${vapour.read().tempC} °C`);
  // The bath heats: the air it warms follows it, and the probe follows the air.
  vapour.command({ op: 'press', expect: 'on' });
  run(vapour, 600);
  // While it heats the probe lags the air by about its rate × 60 s; then the heater goes off.
  t.ok(vapour.probeC > 60, `the probe warms with the bath: ${vapour.probeC.toFixed(2)} °C`);
  vapour.command({ op: 'press', expect: 'off' });
  run(vapour, 900);
  const expectC = 20 + 0.9 * (vapour.waterC - 20);
  t.ok(vapour.waterC > 70, `the heated bath is at ${vapour.waterC.toFixed(1)} °C`);
  t.ok(
    Math.abs(vapour.probeC - expectC) < 0.1,
    `the probe reads the warmer air: ${vapour.probeC.toFixed(2)} °C, air ${expectC.toFixed(2)} °C`,
  );
  t.throws(() => vapour.injectFault('out_of_bath', { airCoupling: 1 }), RangeError, 'a coupling of 1 would be water, not air');
  t.throws(() => vapour.injectFault('out_of_bath', { airCoupling: -0.1 }), RangeError);
});
