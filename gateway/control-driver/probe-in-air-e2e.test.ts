import t from 'tap';
import { ThermalSim } from '../../shared/thermal/simulator.js';
import { waitFor } from '../../test/harness/index.js';
import { simGatewayWithWebhook, simKitOverMqtt } from '../testing/sim-kit.js';

/**
 * A probe that slips out of a held 80 °C bath into air the bath itself warms (ADR 058), over real
 * MQTT/TLS in accelerated time, the cook told through a real webhook receiver (cloud unreachable).
 * The fall rule trips, and the water test's burst warms that air as well: the test passes, and
 * the engine resumes on a probe in the air, whose presses each look missed. Three in a row
 * withdraw the pass and hold the heater off. Assertions are on the simulated water, the cooker's
 * real switch, and what the cook was told.
 */
t.test('a water test passed in warm air is withdrawn: the heater ends off and the unseen water stays near the target', async (t) => {
  const sim = new ThermalSim({ startC: 60, volumeL: 8, heaterW: 1000, uaWPerK: 2, seed: 1 });
  const { gw, webhook } = await simGatewayWithWebhook(t, sim, 'whsec-probe-in-air-0123456789');
  const { received, second, api } = await simKitOverMqtt(t, gw, sim, 'kit-air');
  for (let i = 0; i < 5; i++) await second();
  t.equal((await api('PUT', '/v1/devices/kit-air/cook', { targetC: 80 })).status, 200, 'an 80 °C cook');
  for (let i = 0; i < 3600 && !(sim.waterC > 79.8); i++) await second();
  for (let i = 0; i < 15 * 60; i++) await second(); // holding
  t.ok(Math.abs(sim.waterC - 80) < 0.8, `holding at ${sim.waterC.toFixed(2)} °C`);

  const outS = sim.tMs / 1000;
  sim.injectFault('out_of_bath', { airCoupling: 0.8 });
  let hottest = sim.waterC;
  for (let i = 0; i < 20 * 60; i++) {
    await second();
    hottest = Math.max(hottest, sim.waterC);
  }
  const events = (
    gw.db().prepare("SELECT type, data FROM events WHERE device_id = 'kit-air' ORDER BY ts, id").all() as { type: string; data: string }[]
  ).map((e) => ({ type: e.type, data: JSON.parse(e.data) }));
  t.match(
    events.find((e) => e.type === 'sensor_ok' && e.data.by === 'water_test'),
    { data: { was: 'fall' } },
    'the fall rule tripped, and the warm air passed the water test',
  );
  t.match(
    events.find((e) => e.type === 'water_test_failed'),
    { data: { withdrawn: true } },
    'the pass was withdrawn',
  );
  const presses = received.filter((r) => r.simS > outS && r.cmd.op === 'press').length;
  t.ok(hottest < 84, `the unseen water peaked at ${hottest.toFixed(1)} °C (80 °C at the slip; ${presses} presses after it)`);
  t.equal(sim.heaterOn, false, 'the heater is off 20 min after the slip');
  const told = await waitFor('the webhook', async () => webhook.received.find((d) => d.body.type === 'water_test_failed'), 30_000);
  t.ok(told.check.ok, 'the withdrawal is told, signed');
  t.match(told.body.text, /out of the water after all/, 'in plain words: the probe is out, put it back');
});
