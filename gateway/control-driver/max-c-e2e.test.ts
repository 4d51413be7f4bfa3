import t from 'tap';
import { Command } from '../../shared/protocol/messages.js';
import { PresetStore } from '../store/presets.js';
import { kitWithApi, startGateway, telemetry } from '../testing/fixture.js';

/**
 * `control.maxC` is the gateway's own limit, not only a figure sent to kits: over real MQTT/TLS, a
 * gateway configured for 60 °C latches the heater off when a bath heats past 60 °C with no cook
 * running (a cooker switched on by hand, or a kit that heats on its own), and refuses a cook it
 * could not hold under that limit, on every path that starts one.
 */
t.test('a gateway with control.maxC 60: the bath past 60 °C gets safe, cook or no cook; targets above 57 °C are refused', async (t) => {
  let clock = Date.parse('2026-12-05T12:00:00Z');
  const gw = await startGateway(t, { 'control.maxC': 60 }, { now: () => clock });
  const { kit, api } = await kitWithApi(t, gw, 'kit-hot');
  const received: { tempC: number; cmd: Command }[] = [];
  let bathC = 0;
  kit.on('message', (_topic, payload) => received.push({ tempC: bathC, cmd: Command.parse(JSON.parse(payload.toString())) }));
  await kit.subscribeAsync('sv/kit-hot/cmd', { qos: 1 });

  // No cook: the heater runs and the bath climbs 0.5 °C a second from 58 °C to 62 °C.
  for (let seq = 0; seq <= 8; seq++) {
    clock += 1000;
    bathC = 58 + seq * 0.5;
    // QoS 1: the PUBACK comes after the commit, and control sees a reading before its commit.
    await kit.publishAsync('sv/kit-hot/telemetry', telemetry({ seq, ts: clock, tempC: bathC, heater: true }), { qos: 1 });
  }
  await new Promise((r) => setTimeout(r, 300)); // the last commands on the wire, the events' commit
  const first = received.find((r) => r.cmd.op === 'safe');
  t.ok(first, 'the kit was told safe');
  t.equal(first?.tempC, 60.5, 'on the first reading over 60 °C, not at the 90 °C default');
  t.same(
    received.filter((r) => r.tempC <= 60),
    [],
    'nothing was sent while the bath was at or under the limit',
  );
  t.same(
    received.filter((r) => r.cmd.op !== 'safe'),
    [],
    'no press, ever',
  );
  t.same(
    received.map((r) => r.cmd.maxC),
    received.map(() => 60),
    'every command carries the same limit',
  );
  const events = gw.db().prepare("SELECT data FROM events WHERE device_id = 'kit-hot' AND type = 'over_temp'").all() as { data: string }[];
  t.match(
    events.map((e) => JSON.parse(e.data)),
    [{ tempC: 60.5, limitC: 60 }],
    'one over_temp event, at the configured limit',
  );

  const put = async (path: string, body: unknown) => {
    const r = await api('PUT', path, body);
    return { status: r.status, body: (await r.json()) as { error?: { details: string[] } } };
  };
  const high = await put('/v1/devices/kit-hot/cook', { targetC: 58 });
  t.equal(high.status, 400);
  t.same(high.body.error?.details, ['body.targetC: at most 57 °C on this gateway (control.maxC 60 °C less 3 °C for overshoot)']);
  const wayTooHot = await put('/v1/devices/kit-hot/cook', { targetC: 200 });
  t.same(
    wayTooHot.body.error?.details,
    ['body.targetC: at most 57 °C on this gateway (control.maxC 60 °C less 3 °C for overshoot)'],
    "200 °C is named with this gateway's limit, not the schema's 95 °C",
  );
  const wayTooHotPreset = await put('/v1/presets/way-too-hot', { targetC: 120, durationMin: 60 });
  t.same(wayTooHotPreset.body.error?.details, ['body.targetC: at most 57 °C on this gateway (control.maxC 60 °C less 3 °C for overshoot)']);
  const tooHot = await put('/v1/presets/too-hot', { targetC: 59, durationMin: 60 });
  t.equal(tooHot.status, 400, 'a preset this gateway would refuse is refused when it is saved');
  t.same(tooHot.body.error?.details, ['body.targetC: at most 57 °C on this gateway (control.maxC 60 °C less 3 °C for overshoot)']);
  t.same(new PresetStore(gw.dataDir).list(), [], 'and not stored');
  t.equal(
    (await put('/v1/presets/low-long', { targetC: 50, durationMin: 600 })).status,
    200,
    'the low-temperature override is given per cook, not saved',
  );
  // A preset saved before control.maxC was lowered is refused when applied.
  new PresetStore(gw.dataDir).put('too-hot', { targetC: 59, durationMin: 60 }, Date.now());
  const fromPreset = await put('/v1/devices/kit-hot/cook/preset/too-hot', {});
  t.equal(fromPreset.status, 400);
  t.same(fromPreset.body.error?.details, ['preset.targetC: at most 57 °C on this gateway (control.maxC 60 °C less 3 °C for overshoot)']);
  await new Promise((r) => setTimeout(r, 300)); // the audit's commit
  const rejected = gw.db().prepare("SELECT data FROM audit WHERE device_id = 'kit-hot' AND action = 'cook_rejected'").all() as {
    data: string;
  }[];
  t.equal(rejected.length, 2, 'both refusals are audited');
  t.match(JSON.parse(rejected[0]?.data ?? '{}'), { field: 'targetC', spec: { targetC: 58 } });
  t.equal((await put('/v1/devices/kit-hot/cook', { targetC: 57 })).status, 200, '57 °C is accepted');
});
