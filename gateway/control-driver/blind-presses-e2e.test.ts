import t from 'tap';
import { ThermalSim } from '../../shared/thermal/simulator.js';
import { waitFor } from '../../test/harness/index.js';
import { simGatewayWithWebhook, simKitOverMqtt } from '../testing/sim-kit.js';

/**
 * A probe that slips out early in a heat-up, with the water a few degrees above the room (ADR 056),
 * over real MQTT/TLS in accelerated time, the cook told through a real webhook receiver (cloud
 * unreachable). The probe in the air falls too little for the fall rule, so the gateway presses
 * against a probe that cannot see the heater, each press judged missed. Before, the heater-stuck
 * rule's `safe` could come after an even number of presses that took: it switched an off heater on,
 * the kit then believed it off, and the unseen water heated to boiling. The assertions are on the
 * simulated water and on the cooker's real switch. Since ADR 060 the dip the slip makes while the
 * heater heats is caught first, as a heat-up fall, before the engine presses at all; the
 * heater-stuck rule is the net behind it.
 */
t.test('a probe that slips out near room temperature: the heater ends off and the unseen water never reaches the target', async (t) => {
  const sim = new ThermalSim({ startC: 20, ambientC: 20, volumeL: 8, heaterW: 800, uaWPerK: 5, seed: 1 });
  const { gw, webhook } = await simGatewayWithWebhook(t, sim, 'whsec-blind-presses-0123456789');
  const { received, second, api } = await simKitOverMqtt(t, gw, sim, 'kit-slip');
  for (let i = 0; i < 5; i++) await second();
  t.equal((await api('PUT', '/v1/devices/kit-slip/cook', { targetC: 56 })).status, 200, 'a 56 °C cook');
  for (let i = 0; i < 3600 && sim.waterC < 25; i++) await second();
  const outS = sim.tMs / 1000;
  sim.injectFault('out_of_bath');
  let hottest = sim.waterC;
  for (let i = 0; i < 30 * 60; i++) {
    await second();
    hottest = Math.max(hottest, sim.waterC);
  }
  const presses = received.filter((r) => r.simS > outS && r.cmd.op === 'press').length;
  t.ok(
    hottest < 56,
    `the unseen water stayed under the target: ${hottest.toFixed(1)} °C at most (25 °C at the slip; ${presses} presses after it)`,
  );
  t.equal(sim.heaterOn, false, 'the heater is off 30 min after the slip');
  t.equal(sim.belief, false, 'and the kit believes it off');
  const told = await waitFor(
    'the webhook',
    async () =>
      webhook.received.find(
        (d) =>
          d.body.type === 'heater_stuck' ||
          (d.body.type === 'sensor_fault' && /fell while the heater was heating/.test(String(d.body.text))),
      ),
    30_000,
  );
  t.ok(told.check.ok, `${told.body.type} is told, signed`);
});
