import t from 'tap';
import { ThermalSim } from '../../shared/thermal/simulator.js';
import { startGateway } from '../testing/fixture.js';
import { simKitOverMqtt } from '../testing/sim-kit.js';

/**
 * The correction press (ADR 052) over real MQTT/TLS in accelerated time. A kit whose servo stops
 * reaching the button while the element is on: every press misses, so the kit believes its heater
 * off while the bath heats, and `safe` presses nothing. Assertions are on what the kit received and
 * on the simulated bath.
 */
t.test('a servo that misses while the element heats: correction presses over MQTT until one lands, then the bath cools', async (t) => {
  const sim = new ThermalSim({ startC: 50, volumeL: 3, heaterW: 1500, heaterTauS: 20, uaWPerK: 5, seed: 8 });
  const gw = await startGateway(
    t,
    { 'cloud.url': 'http://127.0.0.1:9', 'cloud.token': 'svg_unreachable-cloud-token-0000' },
    { now: () => sim.nowMs, monoNow: () => sim.nowMs },
  );
  const { received, second: step, api } = await simKitOverMqtt(t, gw, sim, 'kit-slip');
  /** The bath each second, to judge each command by the water it was sent over. */
  const water = new Map<number, number>();
  const second = async () => {
    await step();
    water.set(sim.tMs / 1000, sim.waterC);
  };
  for (let i = 0; i < 5; i++) await second();
  t.equal((await api('PUT', '/v1/devices/kit-slip/cook', { targetC: 56 })).status, 200, 'a 56 °C cook');
  for (let i = 0; i < 3600 && !(sim.waterC > 55.8); i++) await second();
  for (let i = 0; i < 10 * 60; i++) await second();

  // The servo slips off the button: from now on every press misses. The element is on.
  for (let i = 0; i < 600 && !sim.heaterOn; i++) await second();
  t.ok(sim.heaterOn, 'the element is on when the servo slips');
  const p = sim.p as { missProb: number };
  p.missProb = 1;
  const slipS = sim.tMs / 1000;
  const corrected = () =>
    gw.db().prepare("SELECT count(*) AS n FROM events WHERE device_id = 'kit-slip' AND type = 'correction_press'").get() as { n: number };
  for (let i = 0; i < 20 * 60 && corrected().n < 2; i++) await second();
  t.ok(corrected().n >= 2, `correction presses while the servo misses (${corrected().n})`);
  const disobeys = gw
    .db()
    .prepare("SELECT count(*) AS n FROM events WHERE device_id = 'kit-slip' AND type = 'actuator_disobeys'")
    .get() as {
    n: number;
  };
  t.ok(disobeys.n >= 1, `and the critical "actuator does not obey" alarm (${disobeys.n})`);

  // The servo is back on the button: the next correction lands.
  p.missProb = 0;
  const fixedS = sim.tMs / 1000;
  let peakC = sim.waterC;
  for (let i = 0; i < 30 * 60; i++) {
    await second();
    peakC = Math.max(peakC, sim.waterC);
  }
  t.notOk(sim.heaterOn, 'the element is off');
  t.ok(sim.waterC < peakC - 1, `the bath cools: ${peakC.toFixed(1)} → ${sim.waterC.toFixed(1)} °C`);
  const sinceSlip = received.filter((r) => r.simS > slipS);
  const limitC = 56 + 3;
  t.same(
    sinceSlip.filter((r) => r.cmd.op === 'press' && r.cmd.expect === 'on' && (water.get(r.simS) ?? 0) > limitC - 1).map((r) => r.simS),
    [],
    'never a press to switch on while the bath was over its limit',
  );
  t.ok(
    sinceSlip.some((r) => r.cmd.op === 'press' && r.cmd.expect === 'off' && r.simS > fixedS),
    'a correction press reached the kit after the servo was back',
  );
});
