import t from 'tap';
import { ThermalSim } from '../../shared/thermal/simulator.js';
import { waitFor } from '../../test/harness/index.js';
import { simGatewayWithWebhook, simKitOverMqtt } from '../testing/sim-kit.js';

/**
 * A probe that slips out of the water while a kit holds its bath (ADR 051), over real MQTT/TLS in
 * accelerated time, with the cook told through a real webhook receiver (cloud unreachable). The
 * assertions are on what the kit received and on the simulated bath: the heater is switched off,
 * nothing but `safe` reaches the kit while the probe is out, the water never passes its target, and
 * the probe put back lets the cook go on.
 */
t.test('the probe slips out of the water: heater off, the cook told, the cook goes on when it is back', async (t) => {
  const sim = new ThermalSim({ startC: 50, volumeL: 3, heaterW: 1500, heaterTauS: 60, uaWPerK: 5, seed: 5 });
  const { gw, webhook } = await simGatewayWithWebhook(t, sim, 'whsec-probe-out-0123456789');
  const { received, second, api } = await simKitOverMqtt(t, gw, sim, 'kit-clip');
  for (let i = 0; i < 5; i++) await second();
  t.equal((await api('PUT', '/v1/devices/kit-clip/cook', { targetC: 56 })).status, 200, 'a 56 °C cook');
  for (let i = 0; i < 3600 && !(sim.waterC > 55.8); i++) await second();
  let holdMaxC = Number.NEGATIVE_INFINITY;
  let holdMinC = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 15 * 60; i++) {
    await second(); // holding
    holdMaxC = Math.max(holdMaxC, sim.waterC);
    holdMinC = Math.min(holdMinC, sim.waterC);
  }
  t.ok(Math.abs(sim.waterC - 56) < 0.6, `holding at ${sim.waterC.toFixed(2)} °C (highest ${holdMaxC.toFixed(2)} °C)`);

  const outS = sim.tMs / 1000;
  sim.injectFault('out_of_bath');
  let maxOutC = sim.waterC;
  let onOutS = 0;
  for (let i = 0; i < 20 * 60; i++) {
    await second();
    maxOutC = Math.max(maxOutC, sim.waterC);
    if (sim.heaterOn) onOutS++;
  }
  const whileOut = received.filter((r) => r.simS > outS);
  const firstSafe = whileOut.find((r) => r.cmd.op === 'safe');
  t.ok(
    firstSafe === undefined || firstSafe.simS - outS <= 15,
    `safe ${firstSafe ? `${firstSafe.simS - outS} s` : 'not needed'} after the probe left`,
  );
  t.same(
    whileOut.filter((r) => r.cmd.op === 'press' && r.cmd.expect === 'on').map((r) => r.simS),
    [],
    'no press to switch on while the probe is out',
  );
  t.ok(onOutS <= 20, `the element was on ${onOutS} s of the 20 min the probe was out`);
  // The element's stored heat still coasts the bath up after a pulse: no higher than a pulse took it while the probe was in.
  t.ok(
    maxOutC <= holdMaxC + 0.2,
    `the unseen bath rose no higher than in the hold: max ${maxOutC.toFixed(2)} °C (hold ${holdMaxC.toFixed(2)} °C)`,
  );
  const fault = gw.db().prepare("SELECT data FROM events WHERE device_id = 'kit-clip' AND type = 'sensor_fault'").all() as {
    data: string;
  }[];
  t.same(
    fault.map((f) => JSON.parse(f.data).kind),
    ['fall'],
    'one sensor fault, of kind fall',
  );
  const told = await waitFor('the webhook', async () => webhook.received.find((d) => d.body.type === 'sensor_fault'), 30_000);
  t.ok(told.check.ok, 'signed');
  t.match(told.body.text, /slipped out of the water/, 'the cook is told what happened and what to do');

  sim.clearFault();
  for (let i = 0; i < 20 * 60; i++) await second();
  // This slow element (60 s) holds in a cycle of about ±1 °C: back in the water, the bath keeps
  // to the cycle it held before the probe left, at every second of the last 10 min.
  let backMinC = Number.POSITIVE_INFINITY;
  let backMaxC = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < 10 * 60; i++) {
    await second();
    backMinC = Math.min(backMinC, sim.waterC);
    backMaxC = Math.max(backMaxC, sim.waterC);
  }
  t.ok(
    backMinC >= holdMinC - 0.5 && backMaxC <= holdMaxC + 0.5,
    `back in the water, the bath holds again: ${backMinC.toFixed(2)}–${backMaxC.toFixed(2)} °C (the hold before: ${holdMinC.toFixed(2)}–${holdMaxC.toFixed(2)} °C)`,
  );
  const ok = gw.db().prepare("SELECT count(*) AS n FROM events WHERE device_id = 'kit-clip' AND type = 'sensor_ok'").get() as { n: number };
  t.equal(ok.n, 1, 'the fault let go once the probe read the water');
});
