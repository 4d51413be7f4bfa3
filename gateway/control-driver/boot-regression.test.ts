import t from 'tap';
import { counter, startGateway, telemetry } from '../testing/fixture.js';

t.test('a boot counter going backwards: counted, an event, stored, and control follows the new boot', async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-reflash');
  const kit = await gw.connect({ clientId: 'kit-reflash', username: 'kit-reflash', password: secret });
  t.teardown(() => kit.end(true));
  for (let seq = 0; seq < 5; seq++)
    await kit.publishAsync('sv/kit-reflash/telemetry', telemetry({ boot: 10, seq, tempC: 50 + seq }), { qos: 1 });
  // Reflashed: the persisted boot counter is gone and starts again.
  for (let seq = 0; seq < 3; seq++)
    await kit.publishAsync('sv/kit-reflash/telemetry', telemetry({ boot: 3, seq, tempC: 40 + seq }), { qos: 1 });
  t.equal(counter(await gw.metrics(), 'boot_regression_total'), 1, 'counted once');
  const view = gw.gateway.control.view('kit-reflash');
  t.match(view?.last, { boot: 3, seq: 2, tempC: 42 }, 'control follows the new boot');
  await new Promise((r) => setTimeout(r, 200)); // the event's commit
  const events = gw.db().prepare("SELECT data FROM events WHERE device_id = 'kit-reflash' AND type = 'boot_regression'").all() as {
    data: string;
  }[];
  t.same(
    events.map((e) => JSON.parse(e.data)),
    [{ fromBoot: 10, toBoot: 3 }],
    'one event naming both boots',
  );
  const stored = gw.db().prepare("SELECT boot, seq FROM telemetry WHERE device_id = 'kit-reflash' ORDER BY rx_ts, boot, seq").all();
  t.equal(stored.length, 8, 'every reading of both boots is stored');
  // A replay within the new boot is still a duplicate for control (no second regression).
  await kit.publishAsync('sv/kit-reflash/telemetry', telemetry({ boot: 3, seq: 1, tempC: 41 }), { qos: 1 });
  t.equal(counter(await gw.metrics(), 'boot_regression_total'), 1);
  t.match(gw.gateway.control.view('kit-reflash')?.last, { boot: 3, seq: 2 });
});
