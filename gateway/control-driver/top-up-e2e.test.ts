import t from 'tap';
import { ThermalSim } from '../../shared/thermal/simulator.js';
import { waitFor } from '../../test/harness/index.js';
import { simGatewayWithWebhook, simKitOverMqtt } from '../testing/sim-kit.js';

/**
 * Cold water poured into a held bath (ADR 053), over real MQTT/TLS in accelerated time, with the
 * cook told through a real webhook receiver (cloud unreachable). The pour trips the fall rule; the
 * watchdog's water test presses the heater on for one burst, sees the water warm, and lets the
 * cook go on. Assertions are on what the kit received, on the simulated bath, and on what the
 * cook was told. Before the test the heater stayed off and the bath cooled.
 */
t.test('water poured in: the fall is tested with one burst, the cook is told, and the bath holds again', async (t) => {
  const sim = new ThermalSim({ startC: 50, volumeL: 3, heaterW: 1500, uaWPerK: 5, seed: 5 });
  const { gw, webhook } = await simGatewayWithWebhook(t, sim, 'whsec-top-up-0123456789abc');
  const { received, second, api } = await simKitOverMqtt(t, gw, sim, 'kit-pour');
  for (let i = 0; i < 5; i++) await second();
  t.equal((await api('PUT', '/v1/devices/kit-pour/cook', { targetC: 56 })).status, 200, 'a 56 °C cook');
  for (let i = 0; i < 3600 && !(sim.waterC > 55.8); i++) await second();
  for (let i = 0; i < 15 * 60; i++) await second(); // holding
  t.ok(Math.abs(sim.waterC - 56) < 0.6, `holding at ${sim.waterC.toFixed(2)} °C`);

  const pourS = sim.tMs / 1000;
  sim.addWater(0.6, 15);
  const mixC = sim.waterC;
  let coldest = sim.waterC;
  for (let i = 0; i < 10 * 60; i++) {
    await second();
    coldest = Math.min(coldest, sim.waterC);
  }
  const since = received.filter((r) => r.simS > pourS).map((r) => `${r.cmd.op}${r.cmd.expect ? ` ${r.cmd.expect}` : ''}`);
  t.same(since.slice(0, 3), ['safe', 'press on', 'safe'], `the fall's safe, then the burst: ${since.slice(0, 6).join(', ')}`);
  const events = (
    gw.db().prepare("SELECT type, data FROM events WHERE device_id = 'kit-pour' ORDER BY ts, id").all() as { type: string; data: string }[]
  ).map((e) => ({ type: e.type, data: JSON.parse(e.data) }));
  t.match(
    events.find((e) => e.type === 'sensor_fault'),
    { data: { kind: 'fall' } },
    `the pour (${mixC.toFixed(1)} °C mixed) tripped the fall rule`,
  );
  t.match(
    events.find((e) => e.type === 'sensor_ok'),
    { data: { was: 'fall', by: 'water_test' } },
    'the water test cleared it',
  );
  t.notOk(
    events.some((e) => e.type === 'water_test_failed'),
    'the test did not fail',
  );
  const told = await waitFor('the webhook', async () => webhook.received.find((d) => d.body.type === 'sensor_ok'), 30_000);
  t.ok(told.check.ok, 'signed');
  t.match(told.body.text, /it is in the water/, 'the cook is told the cook goes on');
  for (let i = 0; i < 10 * 60; i++) await second();
  t.ok(
    Math.abs(sim.waterC - 56) < 0.8,
    `the bath holds again: ${sim.waterC.toFixed(2)} °C 20 min after the pour (coldest ${coldest.toFixed(2)} °C)`,
  );
});
