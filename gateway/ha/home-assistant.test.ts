import type { MqttClient } from 'mqtt';
import t from 'tap';
import { loadConfig } from '../../shared/config/load.js';
import { Command } from '../../shared/protocol/messages.js';
import { capturedLogger, startMosquitto } from '../../test/harness/index.js';
import { gatewayConfig } from '../config.js';
import { revoke } from '../devices/provision.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { counter, type GatewayFixture, startGateway, telemetry } from '../testing/fixture.js';
import { SimHa } from '../testing/sim-ha.js';

/**
 * The Home Assistant bridge end to end: a real gateway (kits over MQTT/TLS) and a private
 * Mosquitto standing in for HA's add-on, with a simulated HA that reads the discovery configs
 * (validated against the schema written from HA's docs), subscribes where they say, and sends
 * commands where they say.
 */
const NODE = (kit: string) => `sousvide_kitchen_${kit}`;
const ENTITIES = [
  'binary_sensor/alarm',
  'binary_sensor/heater',
  'binary_sensor/link',
  'climate/bath',
  'sensor/cook',
  'sensor/done_at',
  'sensor/ready_at',
  'sensor/safe_at',
  'sensor/temperature',
  'sensor/time_left',
];

interface Kit {
  client: MqttClient;
  commands: Command[];
  seq: number;
}

async function connectKit(gw: GatewayFixture, id: string, secret: string): Promise<Kit> {
  const client = await gw.connect({
    clientId: id,
    username: id,
    password: secret,
    will: { topic: `sv/${id}/status`, payload: Buffer.from(status('offline')), qos: 1, retain: true },
  });
  const kit: Kit = { client, commands: [], seq: 0 };
  client.on('message', (_topic, payload) => {
    const cmd = Command.parse(JSON.parse(payload.toString()));
    kit.commands.push(cmd);
    const heater = cmd.op === 'press' ? cmd.expect === 'on' : false;
    client.publish(`sv/${id}/ack`, JSON.stringify({ v: 1, id: cmd.id, ok: true, heater }), { qos: 1 });
  });
  await client.subscribeAsync(`sv/${id}/cmd`, { qos: 1 });
  await client.publishAsync(`sv/${id}/status`, status('online'), { qos: 1, retain: true });
  return kit;
}
const status = (state: string) => JSON.stringify({ v: 1, state, boot: 1, fw: '1.0.0', profile: 'toggle' });
const commands = (metrics: string, result: string) =>
  Number(new RegExp(`^ha_commands_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);

/** The control clock: one simulated second per reading (fake time; the kits and brokers are real). */
let clock = Date.now();
const reading = (kit: Kit, id: string, tempC: number) => {
  clock += 1000;
  return kit.client.publishAsync(`sv/${id}/telemetry`, telemetry({ seq: kit.seq++, tempC, heater: false }), { qos: 1 });
};

t.test('kits appear in HA, are cooked from it, follow their link, vanish on revoke; HA down never touches the gateway', async (t) => {
  const broker = await startMosquitto(t, { users: { gateway: 'gw-secret-1', homeassistant: 'ha-secret-1' } });
  const { log, lines: logs } = capturedLogger('gateway-test');
  // Credentials in the URL (ha.username / ha.password work too; the config test covers them).
  const haUrl = broker.url.replace('mqtt://', 'mqtt://gateway:gw-secret-1@');
  const gw = await startGateway(t, { name: 'Kitchen', 'ha.mqttUrl': haUrl, 'mqtt.publishRatePerDevice': 0 }, { now: () => clock }, log);
  const ha = await SimHa.connect(broker.url, { username: 'homeassistant', password: 'ha-secret-1' });
  t.teardown(() => ha.close());
  const secretA = await gw.addKit('kit-a');
  const kitA = await connectKit(gw, 'kit-a', secretA);
  t.teardown(() => kitA.client.end(true));
  await gw.addKit('kit-b'); // provisioned, never connected
  await reading(kitA, 'kit-a', 40);

  // Discovery: every kit's entities appear, each valid against HA's schema for its platform.
  for (const kit of ['kit-a', 'kit-b']) {
    const entities = await ha.until(`${kit}'s entities`, () => {
      const e = ha.node(NODE(kit));
      return e.length === ENTITIES.length && e;
    });
    t.same(entities.map((e) => `${e.component}/${e.objectId}`).sort(), ENTITIES, `${kit}: its entities appear in HA`);
    for (const e of entities) t.same(e.invalid, [], `${kit} ${e.component}/${e.objectId}: valid against HA's schema`);
  }
  const bath = ha.entity('climate', NODE('kit-a'), 'bath');
  const bathB = ha.entity('climate', NODE('kit-b'), 'bath');
  const temperature = ha.entity('sensor', NODE('kit-a'), 'temperature');
  const link = ha.entity('binary_sensor', NODE('kit-a'), 'link');
  if (!bath || !bathB || !temperature || !link) throw new Error('entities missing');
  await ha.until('kit-a available with its temperature', () => ha.available(bath) && ha.read(temperature) === '40');
  t.pass('kit-a is available and HA reads its bath temperature (40 °C)');
  t.equal(ha.available(bathB), false, 'kit-b, never connected, is unavailable');
  t.equal(ha.read(bath, 'mode_state_topic', 'mode_state_template'), 'off', 'no cook: the bath is off');

  // HA restarts (its birth message): the bridge announces every kit again, as HA's docs advise.
  const bathConfigTopic = `homeassistant/climate/${NODE('kit-a')}/bath/config`;
  const announcedBefore = ha.received.get(bathConfigTopic) ?? 0;
  await ha.birth();
  await ha.until("configs published again after HA's birth message", () => (ha.received.get(bathConfigTopic) ?? 0) > announcedBefore);
  t.pass("HA's birth message makes the bridge publish its configs again");

  // HA sets a target while the bath is off: it is kept and shown, and nothing heats.
  const pressesBefore = kitA.commands.length;
  await ha.command(bath, 'temperature_command_topic', '57');
  await ha.until('HA sees the target', () => ha.read(bath, 'temperature_state_topic', 'temperature_state_template') === '57');
  t.equal(ha.read(bath, 'mode_state_topic', 'mode_state_template'), 'off', 'a target set while off starts nothing');
  await reading(kitA, 'kit-a', 40.05);
  t.equal(gw.gateway.control.view('kit-a')?.cook ?? null, null, 'no cook');
  t.same(
    kitA.commands.slice(pressesBefore).filter((c) => c.op === 'press'),
    [],
    'and no press',
  );
  // HA's Heat: a cook starts through the control path at that target, audited as Home Assistant's.
  await ha.command(bath, 'mode_command_topic', 'heat');
  await ha.until('HA sees the cook', () => ha.read(bath, 'mode_state_topic', 'mode_state_template') === 'heat');
  t.equal(ha.read(bath, 'temperature_state_topic', 'temperature_state_template'), '57', 'HA shows the bath heating to 57 °C');
  const on = await ha.until('a press reaches the kit', async () => {
    await reading(kitA, 'kit-a', 40.1);
    return kitA.commands.slice(pressesBefore).find((c) => c.op === 'press');
  });
  t.equal(on.expect, 'on', 'the kit receives the press that turns its cooker on');
  const audit = () =>
    gw.db().prepare("SELECT actor, actor_id, action, data FROM audit WHERE device_id = 'kit-a' ORDER BY ts, rowid").all() as {
      actor: string;
      actor_id: string | null;
      action: string;
      data: string;
    }[];
  const started = await ha.until('the audited cook start', () => audit().find((a) => a.action === 'cook_start'));
  t.match(started, { actor: 'user', actor_id: 'home-assistant' }, 'the cook start is audited with Home Assistant as actor');
  t.match(JSON.parse(started.data), { spec: { targetC: 57 } });
  const view = gw.gateway.control.view('kit-a');
  t.match(view?.cook, { state: 'heating', spec: { targetC: 57 } }, 'the control loop runs the cook');

  // A new target changes the cook; a bad one is refused, counted, and changes nothing.
  await ha.command(bath, 'temperature_command_topic', '58.5');
  await ha.until('the audited change', () => audit().find((a) => a.action === 'cook_change'));
  t.match(
    audit().find((a) => a.action === 'cook_change'),
    { actor_id: 'home-assistant' },
    'the change is audited',
  );
  await ha.command(bath, 'temperature_command_topic', 'hot');
  await ha.command(bath, 'temperature_command_topic', '150');
  await ha.until('the refused commands counted', async () => commands(await gw.metrics(), 'invalid') === 2);
  t.equal(gw.gateway.control.view('kit-a')?.cook?.spec.targetC, 58.5, 'refused targets change nothing');

  // HA's "off" stops the cook.
  await ha.command(bath, 'mode_command_topic', 'off');
  await ha.until('HA sees the bath off', () => ha.read(bath, 'mode_state_topic', 'mode_state_template') === 'off');
  t.equal(gw.gateway.control.view('kit-a')?.cook?.state, 'stopped', 'the cook is stopped');
  const stopped = await ha.until('the audited stop', () => audit().find((a) => a.action === 'cook_stop'));
  t.match(stopped, { actor: 'user', actor_id: 'home-assistant' }, 'the stop is audited');
  t.ok(commands(await gw.metrics(), 'ok') >= 3, 'accepted commands are counted');

  // Availability follows the kit's link: its Last Will makes it unavailable, its return available.
  kitA.client.stream.destroy();
  await ha.until('kit-a unavailable after its link dropped', () => !ha.available(bath));
  await ha.until('the link sensor off', () => ha.read(link) === 'OFF');
  t.pass('the link sensor says the kit is disconnected');
  t.equal(ha.available(link), true, 'the link sensor itself stays available');
  const kitA2 = await connectKit(gw, 'kit-a', secretA);
  t.teardown(() => kitA2.client.end(true));
  kitA2.seq = 1000;
  await reading(kitA2, 'kit-a', 41);
  await ha.until('kit-a available again', () => ha.available(bath) && ha.read(temperature) === '41');
  t.pass('kit-a is available again once it is back');

  // HA's broker down: ingest and control go on; failures are counted; everything returns after.
  await broker.stop();
  await ha.until('the bridge sees the broker down', async () => counter(await gw.metrics(), 'ha_mqtt_connected') === 0);
  const rowsBefore = (gw.db().prepare("SELECT count(*) AS n FROM telemetry WHERE device_id = 'kit-a'").get() as { n: number }).n;
  for (let i = 0; i < 5; i++) await reading(kitA2, 'kit-a', 42 + i); // each resolves on its PUBACK (after the commit)
  const rowsAfter = (gw.db().prepare("SELECT count(*) AS n FROM telemetry WHERE device_id = 'kit-a'").get() as { n: number }).n;
  t.equal(rowsAfter - rowsBefore, 5, 'readings are acknowledged and stored while HA is down');
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const cmdsBefore = kitA2.commands.length;
  const put = await fetch(`http://127.0.0.1:${gw.httpPort}/v1/devices/kit-a/cook`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ targetC: 60 }),
  });
  t.equal(put.status, 200, 'a cook starts through the local API while HA is down');
  await ha.until('a press reaches the kit while HA is down', async () => {
    await reading(kitA2, 'kit-a', 46.5);
    return kitA2.commands.length > cmdsBefore;
  });
  t.pass('control commands the kit while HA is down');
  await new Promise((r) => setTimeout(r, 1500)); // a few sync rounds with the broker down
  const down = await gw.metrics();
  t.ok(
    counter(down, 'ha_mqtt_connection_failures_total') >= 1,
    `failed connections are counted (${counter(down, 'ha_mqtt_connection_failures_total')})`,
  );
  t.ok(counter(down, 'ha_sync_skipped_total') >= 1, 'skipped syncs are counted');

  await broker.start(); // no persistence: its retained configs are gone, as after a broker reinstall
  await ha.until(
    'the bridge back, republishing everything',
    () =>
      ha.node(NODE('kit-a')).length === ENTITIES.length && ha.read(bath, 'temperature_state_topic', 'temperature_state_template') === '60',
    70_000,
  );
  t.pass('after the broker returns, the entities are there again with the cook set meanwhile (60 °C)');
  t.equal(counter(await gw.metrics(), 'ha_mqtt_connected'), 1, 'connected again');

  // Revoke: the kit's entities are removed from HA; the other kit's stay.
  revoke(loadConfig(gatewayConfig, { overrides: { dataDir: gw.dataDir } }), 'kit-b');
  await ha.until('kit-b removed', () => ha.node(NODE('kit-b')).length === 0);
  t.pass("the revoked kit's entities are removed");
  const cleared = [...ha.topics].filter(([topic]) => topic.includes(`/${NODE('kit-b')}/`));
  t.ok(cleared.length === ENTITIES.length && cleared.every(([, p]) => p === ''), 'with empty retained configs (HA deletes the entity)');
  t.equal(ha.node(NODE('kit-a')).length, ENTITIES.length, "kit-a's entities stay");

  // A config of this gateway's left behind for a kit it no longer has (revoked while the gateway was away): swept.
  const stale = `homeassistant/sensor/${NODE('kit-gone')}/temperature/config`;
  await ha.client.publishAsync(stale, JSON.stringify({ state_topic: 'sousvide/kitchen/kit-gone/state', unique_id: 'x' }), {
    qos: 1,
    retain: true,
  });
  await ha.until('the stale config swept', () => ha.topics.get(stale) === '');
  t.pass("a stale retained config of this gateway's is removed");

  const bad = ha.configsSeen.filter((c) => c.invalid.length > 0);
  t.ok(ha.configsSeen.length >= 3 * ENTITIES.length, `every config HA received (${ha.configsSeen.length}, republished ones too) ...`);
  t.same(bad, [], '... is valid against the schema');

  const all = logs.join('');
  t.match(all, /home assistant: MQTT broker unreachable; retrying/, 'the outage is logged');
  t.notMatch(all, /gw-secret-1/, 'the broker password is never logged');

  // A clean stop says goodbye: HA marks every entity unavailable at once.
  await gw.stop();
  await ha.until('the bridge offline', () => ha.topics.get('sousvide/kitchen/availability') === 'offline');
  t.equal(ha.available(bath), false, "after the gateway's stop its entities are unavailable");
});

t.test("a frozen HA broker does not hold up the gateway's stop", async (t) => {
  const broker = await startMosquitto(t);
  const gw = await startGateway(t, { 'ha.mqttUrl': broker.url });
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const poll = async () => {
      if (counter(await gw.metrics(), 'ha_mqtt_connected') === 1) return resolve();
      if (Date.now() > deadline) return reject(new Error('the bridge never connected'));
      setTimeout(poll, 50);
    };
    void poll();
  });
  broker.pause(); // SIGSTOP: the connection stays open, nothing answers
  t.teardown(() => broker.resume());
  await gw.stop();
  t.pass('the gateway stopped');
});

t.test("HA never carries the local API's low-temperature override to a cook of its own", async (t) => {
  const broker = await startMosquitto(t);
  const { log, lines: logs } = capturedLogger('gateway-test');
  const gw = await startGateway(
    t,
    { name: 'Kitchen', 'ha.mqttUrl': broker.url, 'mqtt.publishRatePerDevice': 0 },
    { now: () => clock },
    log,
  );
  const ha = await SimHa.connect(broker.url, { username: 'x', password: 'x' });
  t.teardown(() => ha.close());
  const secret = await gw.addKit('kit-c');
  const kit = await connectKit(gw, 'kit-c', secret);
  t.teardown(() => kit.client.end(true));
  await reading(kit, 'kit-c', 50);
  const bath = await ha.until("kit-c's bath", () => ha.entity('climate', NODE('kit-c'), 'bath'));
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const putCook = (body: unknown) =>
    fetch(`http://127.0.0.1:${gw.httpPort}/v1/devices/kit-c/cook`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const audit = () =>
    gw.db().prepare("SELECT actor_id, action, data FROM audit WHERE device_id = 'kit-c' ORDER BY ts, rowid").all() as {
      actor_id: string | null;
      action: string;
      data: string;
    }[];
  const rejectedByHa = () => audit().filter((a) => a.action === 'cook_rejected' && a.actor_id === 'home-assistant');

  // The operator starts a 56 °C hold without a timer through the local API, ticking the override.
  t.equal((await putCook({ targetC: 56, lowTempOverride: true })).status, 200, 'the local API starts the cook');
  await ha.until('HA sees the cook', () => ha.read(bath, 'temperature_state_topic', 'temperature_state_template') === '56');

  // An HA user drags the thermostat to 40 °C: that cook needs the override, which HA cannot give.
  await ha.command(bath, 'temperature_command_topic', '40');
  const refused = await ha.until('the refusal audited', () => rejectedByHa()[0]);
  t.match(JSON.parse(refused.data), { spec: { targetC: 40 }, field: 'lowTempOverride' }, 'control refuses it for want of the override');
  t.notOk('lowTempOverride' in JSON.parse(refused.data).spec, "the spec HA's command built carries no override");
  t.match(
    gw.gateway.control.view('kit-c')?.cook,
    { state: 'heating', spec: { targetC: 56, lowTempOverride: true } },
    'the running cook is unchanged',
  );
  await ha.until('counted as rejected', async () => commands(await gw.metrics(), 'rejected') === 1);
  t.match(logs.join(''), /home assistant: cook change rejected by control/, 'and logged');

  // Heat replays the last cook's settings, but never its override: a 40 °C cook stopped locally is not restarted.
  t.equal((await putCook({ targetC: 40, lowTempOverride: true })).status, 200, 'the operator sets 40 °C with the override');
  const stop = await fetch(`http://127.0.0.1:${gw.httpPort}/v1/devices/kit-c/cook`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });
  t.equal(stop.status, 200, 'and stops it');
  await ha.until('HA sees the bath off', () => ha.read(bath, 'mode_state_topic', 'mode_state_template') === 'off');
  await ha.command(bath, 'mode_command_topic', 'heat');
  await ha.until('the second refusal audited', () => rejectedByHa()[1]);
  t.match(gw.gateway.control.view('kit-c')?.cook, { state: 'stopped' }, 'HA\'s "heat" did not restart it');
  t.equal(commands(await gw.metrics(), 'rejected'), 2, 'counted as rejected');
});
