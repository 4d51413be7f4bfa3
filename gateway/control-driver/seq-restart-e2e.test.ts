import t from 'tap';
import { Command } from '../../shared/protocol/messages.js';
import { counter, kitWithApi, startGateway, telemetry } from '../testing/fixture.js';

/**
 * A kit that counts its seq again without a new boot (a reboot that failed to save its boot
 * counter) must not blind control for the rest of that boot. Over real MQTT/TLS on a gateway with
 * `control.maxC` 60: a quick burst of resends below the last seq is dropped as before; readings
 * that go on from a lower seq at the kit's pace are followed after three, and the bath they show
 * climbing past 60 °C gets `safe`.
 */
t.test('a seq that starts again within a boot: resends dropped, a kit counting again followed, its hot bath switched off', async (t) => {
  let clock = Date.parse('2026-12-07T12:00:00Z');
  const gw = await startGateway(t, { 'control.maxC': 60 }, { now: () => clock });
  const { kit } = await kitWithApi(t, gw, 'kit-recount');
  const received: { tempC: number; cmd: Command }[] = [];
  let bathC = 50;
  kit.on('message', (_topic, payload) => received.push({ tempC: bathC, cmd: Command.parse(JSON.parse(payload.toString())) }));
  await kit.subscribeAsync('sv/kit-recount/cmd', { qos: 1 });
  const stamped = new Map<number, number>();
  const send = (seq: number, tempC: number, ts = clock) => {
    stamped.set(seq, ts);
    return kit.publishAsync('sv/kit-recount/telemetry', telemetry({ boot: 7, seq, ts, tempC, heater: true }), { qos: 1 });
  };

  for (let seq = 100; seq < 110; seq++) {
    clock += 1000;
    await send(seq, 50);
  }
  // Resends of earlier readings, all at once: duplicates, as before.
  for (const seq of [105, 106, 107]) await send(seq, 50);
  t.equal(counter(await gw.metrics(), 'seq_regression_total'), 0, 'a burst of resends is not a new count');
  t.match(gw.gateway.control.view('kit-recount')?.last, { boot: 7, seq: 109 }, 'control still at the last seq');
  // Resends that come slowly (a weak link, a busy gateway) keep their own times: still duplicates.
  for (const seq of [105, 106, 107, 108]) {
    clock += 1000;
    await send(seq, 50, stamped.get(seq));
  }
  t.equal(counter(await gw.metrics(), 'seq_regression_total'), 0, 'slow resends with their old times are not a new count');
  t.match(gw.gateway.control.view('kit-recount')?.last, { boot: 7, seq: 109 }, 'control still at the last seq');

  // The kit restarted without a new boot: seq 0, 1, 2, … at its pace, the heater on, the bath climbing.
  for (let seq = 0; seq <= 24; seq++) {
    clock += 1000;
    bathC = 50 + seq * 0.5;
    await send(seq, bathC);
  }
  await new Promise((r) => setTimeout(r, 300)); // the last commands on the wire, the events' commit
  t.equal(counter(await gw.metrics(), 'seq_regression_total'), 1, 'counted once');
  t.match(gw.gateway.control.view('kit-recount')?.last, { boot: 7, seq: 24, tempC: 62 }, 'control follows the new count');
  const firstSafe = received.find((r) => r.cmd.op === 'safe');
  t.equal(firstSafe?.tempC, 60.5, 'safe on the first reading over the 60 °C limit');
  const events = gw.db().prepare("SELECT data FROM events WHERE device_id = 'kit-recount' AND type = 'seq_regression'").all() as {
    data: string;
  }[];
  t.same(
    events.map((e) => JSON.parse(e.data)),
    [{ boot: 7, fromSeq: 109, toSeq: 2 }],
    'one event naming both counts',
  );
});
