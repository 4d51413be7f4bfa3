import mqtt, { type MqttClient } from 'mqtt';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import type { CookSpec } from '../../shared/cook.js';
import { capturedLogger, startMosquitto } from '../../test/harness/index.js';
import { HaBridge, type HaBridgeConfig, type HaControl, SETPOINT_TTL_MS } from './bridge.js';
import type { HaKitView } from './discovery.js';

/**
 * The bridge against a private Mosquitto, with a stand-in for the control loop (the end-to-end
 * test with a real gateway is home-assistant.test.ts): what other clients of HA's broker can do
 * to it, and what it does to them.
 */

type Cook = NonNullable<HaKitView['cook']>;

/** Records every call; starts and stops cooks without any rule. */
class FakeControl implements HaControl {
  readonly cooks = new Map<string, Cook>();
  readonly calls: string[] = [];
  view(deviceId: string): HaKitView {
    const cook = this.cooks.get(deviceId) ?? null;
    return { deviceId, online: true, last: { tempC: 50, rxTs: Date.now() }, cook, heaterInferredOn: false, reachedTs: null, alarms: [] };
  }
  startCook(deviceId: string, spec: CookSpec) {
    this.calls.push(`start ${deviceId} ${spec.targetC}`);
    this.cooks.set(deviceId, { spec, state: 'heating' });
    return { ok: true as const, cook: null };
  }
  stopCook(deviceId: string) {
    this.calls.push(`stop ${deviceId}`);
    const c = this.cooks.get(deviceId);
    if (c) c.state = 'stopped';
    return { ok: true as const, cook: null };
  }
  starts(): number {
    return this.calls.filter((c) => c.startsWith('start')).length;
  }
}

interface Started {
  bridge: HaBridge;
  control: FakeControl;
  logs: string[];
  metric(name: string, labels?: string): Promise<number>;
}

async function startBridge(
  t: Test,
  url: string,
  name: string,
  kits: string[],
  o: { config?: Partial<HaBridgeConfig>; commandRate?: { burst: number; perSecond: number }; now?: () => number } = {},
): Promise<Started> {
  const registry = new Registry();
  const { log, lines } = capturedLogger(`ha-${name}`);
  const control = new FakeControl();
  const bridge = new HaBridge({
    config: { mqttUrl: url, discoveryPrefix: 'homeassistant', ...o.config },
    gatewayName: name,
    maxTargetC: 87,
    control: () => control,
    deviceIds: () => kits,
    registry,
    log,
    syncMs: 100,
    backoff: { baseMs: 100, maxMs: 500 },
    ...(o.commandRate ? { commandRate: o.commandRate } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  await bridge.start();
  t.teardown(() => bridge.stop());
  const metric = async (metricName: string, labels?: string) => {
    const text = await registry.metrics();
    const re = new RegExp(`^${metricName}${labels === undefined ? '' : `\\{${labels}\\}`} (\\d+)$`, 'm');
    return Number(re.exec(text)?.[1] ?? 0);
  };
  return { bridge, control, logs: lines, metric };
}

async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Another client of the broker: the retained messages under `filter` as a fresh subscriber sees them. */
async function probe(t: Test, url: string): Promise<{ client: MqttClient; retained(filter: string): Promise<Map<string, string>> }> {
  const client = await mqtt.connectAsync(url, { clientId: `probe-${process.pid}`, protocolVersion: 4, reconnectPeriod: 0 });
  t.teardown(() => client.endAsync(true));
  const retained = async (filter: string) => {
    const c = await mqtt.connectAsync(url, {
      clientId: `snapshot-${process.pid}-${Math.random()}`,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    const m = new Map<string, string>();
    c.on('message', (topic, payload, packet) => {
      if (packet.retain && payload.length > 0) m.set(topic, payload.toString());
    });
    await c.subscribeAsync(filter, { qos: 1 });
    await sleep(300); // the broker sends the retained messages right after the SUBACK
    await c.endAsync(true);
    return m;
  };
  return { client, retained };
}

const configsOf = (m: Map<string, string>, node: string) => [...m.keys()].filter((topic) => topic.split('/')[2] === node);

t.test("a gateway never sweeps another gateway's entities, even when its name is a prefix of the other's", async (t) => {
  const broker = await startMosquitto(t);
  const p = await probe(t, broker.url);
  const kitchen = await startBridge(t, broker.url, 'Home Kitchen', ['kit-001', 'kit-002']);
  await until("Home Kitchen's configs", async () => {
    const r = await p.retained('homeassistant/+/+/+/config');
    return configsOf(r, 'sousvide_home_kitchen_kit-001').length === 10 && configsOf(r, 'sousvide_home_kitchen_kit-002').length === 10;
  });
  // A config "Home" left behind for a kit it no longer has: still swept (the rest is a kit id).
  const stale = 'homeassistant/sensor/sousvide_home_kit-gone/temperature/config';
  await p.client.publishAsync(stale, JSON.stringify({ unique_id: 'x' }), { qos: 1, retain: true });

  const home = await startBridge(t, broker.url, 'Home', ['kit-001']);
  await until(
    "Home's configs",
    async () => configsOf(await p.retained('homeassistant/+/+/+/config'), 'sousvide_home_kit-001').length === 10,
  );
  await until("Home's stale config swept", async () => !(await p.retained('homeassistant/+/+/+/config')).has(stale));
  await sleep(500); // both have read every retained config by now (they come right after the subscription)

  const after = await p.retained('homeassistant/+/+/+/config');
  t.equal(configsOf(after, 'sousvide_home_kitchen_kit-001').length, 10, "Home Kitchen's kit-001 keeps all its configs");
  t.equal(configsOf(after, 'sousvide_home_kitchen_kit-002').length, 10, "Home Kitchen's kit-002 keeps all its configs");
  t.equal(configsOf(after, 'sousvide_home_kit-001').length, 10, "Home's kit-001 has all its configs");
  const states = await p.retained('sousvide/+/+/state');
  t.ok(
    states.has('sousvide/home_kitchen/kit-001/state') && states.has('sousvide/home_kitchen/kit-002/state'),
    "Home Kitchen's states stay",
  );
  t.same([...kitchen.control.calls, ...home.control.calls], [], 'no cook was touched');
});

t.test('a retained command is never acted on: a reconnect does not replay it', async (t) => {
  const broker = await startMosquitto(t);
  const p = await probe(t, broker.directUrl); // not through the proxy, whose connections are reset below
  let onlines = 0;
  p.client.on('message', (topic, payload) => {
    if (topic === 'sousvide/replay/availability' && payload.toString() === 'online') onlines++;
  });
  await p.client.subscribeAsync('sousvide/replay/availability', { qos: 1 });
  const g = await startBridge(t, broker.url, 'Replay', ['kit-001']);
  g.control.cooks.set('kit-001', { spec: { targetC: 60, durationMin: 120 }, state: 'stopped' });
  await until('the bridge connected', async () => (await g.metric('ha_mqtt_connected')) === 1 && onlines >= 1);

  // Someone publishes "heat" with the retain flag (a flow, MQTT Explorer, an automation with retain: true).
  await p.client.publishAsync('sousvide/replay/kit-001/set/mode', 'heat', { qos: 1, retain: true });
  await until('the live command acted on', () => g.control.starts() === 1);
  t.pass('published while the bridge is subscribed, it is a live command: the cook starts');
  g.control.stopCook('kit-001'); // the operator stops the cook (local API)

  // HA's broker blips: the bridge reconnects, subscribes again, and the broker sends it the retained "heat".
  const before = onlines;
  broker.proxy.resetConnections();
  await until('the bridge connected again', () => onlines > before);
  await sleep(500); // the broker sends retained messages right after the SUBACK
  t.equal(g.control.starts(), 1, 'the replayed command started no cook');
  t.equal(g.control.cooks.get('kit-001')?.state, 'stopped', 'the cook stays stopped');
  t.equal(await g.metric('ha_commands_total', 'result="retained"'), 1, 'the retained command is counted');
  const warned = g.logs.filter((l) => l.includes('retained command ignored'));
  t.equal(warned.length, 1, 'logged once');
  t.match(warned[0], /sousvide\/replay\/kit-001\/set\/mode/, 'naming the topic');
  t.notMatch(warned[0], /heat/, 'not the payload');

  // Live commands still work after the reconnect.
  await p.client.publishAsync('sousvide/replay/kit-001/set/target', '61', { qos: 1 });
  await p.client.publishAsync('sousvide/replay/kit-001/set/mode', 'heat', { qos: 1 });
  await until('a live command after the reconnect', () => g.control.starts() === 2);
  t.equal(g.control.calls.at(-1), 'start kit-001 61', 'live commands are acted on');
  await p.client.publishAsync('sousvide/replay/kit-001/set/mode', '', { qos: 1, retain: true });
});

t.test("a refused login is counted with the broker's reason by name", async (t) => {
  const broker = await startMosquitto(t, { users: { gateway: 'right-secret-1' } });
  const g = await startBridge(t, broker.url, 'Auth', ['kit-001'], { config: { username: 'gateway', password: 'wrong-secret-1' } });
  await until('the failure counted', async () => (await g.metric('ha_mqtt_connection_failures_total', 'reason="Not authorized"')) >= 1);
  t.pass('ha_mqtt_connection_failures_total{reason="Not authorized"}');
  const all = g.logs.join('');
  t.match(all, /"reason":"Not authorized"/, 'the log says "Not authorized", as the docs tell the maker to look for');
  t.notMatch(all, /wrong-secret-1/, 'the password is not logged');
});

t.test("HA's birth message is on its own topic, whatever the discovery prefix", async (t) => {
  const broker = await startMosquitto(t);
  const p = await probe(t, broker.url);
  const counts = new Map<string, number>();
  p.client.on('message', (topic) => counts.set(topic, (counts.get(topic) ?? 0) + 1));
  await p.client.subscribeAsync(['kitchenha/#', 'ha-one/#'], { qos: 1 });
  const bath = 'kitchenha/climate/sousvide_birth_kit-001/bath/config';
  await startBridge(t, broker.url, 'Birth', ['kit-001'], { config: { discoveryPrefix: 'kitchenha' } });
  await until('the first config', () => (counts.get(bath) ?? 0) === 1);
  await p.client.publishAsync('homeassistant/status', 'online', { qos: 1 });
  await until('configs again after the birth message on homeassistant/status', () => (counts.get(bath) ?? 0) === 2);
  t.pass("HA's default birth topic, homeassistant/status, makes the bridge republish with discovery prefix kitchenha");

  const bathOne = 'ha-one/climate/sousvide_custom_kit-001/bath/config';
  await startBridge(t, broker.url, 'Custom', ['kit-001'], { config: { discoveryPrefix: 'ha-one', birthTopic: 'ha-one/birth' } });
  await until('the first config', () => (counts.get(bathOne) ?? 0) === 1);
  await p.client.publishAsync('ha-one/birth', 'online', { qos: 1 });
  await until('configs again after the birth message on ha.birthTopic', () => (counts.get(bathOne) ?? 0) === 2);
  t.pass('a configured birth topic works');
});

t.test('commands beyond a few a second per kit are dropped and counted', async (t) => {
  const broker = await startMosquitto(t);
  const p = await probe(t, broker.url);
  const g = await startBridge(t, broker.url, 'Rate', ['kit-001', 'kit-002'], { commandRate: { burst: 3, perSecond: 1 } });
  // Cooks running: each target is a change that reaches control.
  for (const kit of ['kit-001', 'kit-002']) g.control.cooks.set(kit, { spec: { targetC: 49 }, state: 'heating' });
  await until('the bridge connected', async () => (await g.metric('ha_mqtt_connected')) === 1);
  await sleep(300); // subscribed
  const started = Date.now();
  for (let i = 0; i < 12; i++) await p.client.publishAsync('sousvide/rate/kit-001/set/target', String(50 + i), { qos: 1 });
  await until(
    'every command counted',
    async () =>
      (await g.metric('ha_commands_total', 'result="ok"')) + (await g.metric('ha_commands_total', 'result="rate_limited"')) === 12,
  );
  const allowed = 3 + Math.floor((Date.now() - started) / 1000) * 1;
  t.ok(
    g.control.starts() >= 3 && g.control.starts() <= allowed,
    `the burst and the refill are acted on (${g.control.starts()} ≤ ${allowed})`,
  );
  t.equal(await g.metric('ha_commands_total', 'result="rate_limited"'), 12 - g.control.starts(), 'the rest are dropped and counted');
  t.equal(g.logs.filter((l) => l.includes('too many commands')).length, 1, 'one log line for the burst');

  await p.client.publishAsync('sousvide/rate/kit-002/set/target', '55', { qos: 1 });
  await until("the other kit's command", () => g.control.calls.includes('start kit-002 55'));
  t.pass("another kit's budget is its own");
});

t.test("a stop is never dropped, and made-up kit ids do not refill a real kit's budget", async (t) => {
  const broker = await startMosquitto(t);
  const p = await probe(t, broker.url);
  const g = await startBridge(t, broker.url, 'Burst', ['kit-001'], { commandRate: { burst: 3, perSecond: 0.01 } });
  g.control.cooks.set('kit-001', { spec: { targetC: 49 }, state: 'heating' });
  await until('the bridge connected', async () => (await g.metric('ha_mqtt_connected')) === 1);
  await sleep(300); // subscribed
  const counted = async () =>
    (await g.metric('ha_commands_total', 'result="ok"')) +
    (await g.metric('ha_commands_total', 'result="rate_limited"')) +
    (await g.metric('ha_commands_total', 'result="invalid"'));
  for (let i = 0; i < 8; i++) await p.client.publishAsync('sousvide/burst/kit-001/set/target', String(50 + i), { qos: 1 });
  await p.client.publishAsync('sousvide/burst/kit-001/set/mode', 'off', { qos: 1 });
  await until('every command counted', async () => (await counted()) === 9);
  t.same(
    g.control.calls,
    ['start kit-001 50', 'start kit-001 51', 'start kit-001 52', 'stop kit-001'],
    'the stop after the burst is acted on',
  );

  // 1100 commands for kits this gateway does not have, then one more target for the real kit: still over its budget.
  for (let i = 0; i < 1100; i++) p.client.publish(`sousvide/burst/kit-x${i}/set/target`, '55', { qos: 0 });
  await p.client.publishAsync('sousvide/burst/kit-001/set/target', '60', { qos: 1 });
  await until('every command counted', async () => (await counted()) === 9 + 1101, 20_000);
  t.notOk(g.control.calls.includes('start kit-001 60'), "the real kit's budget was not refilled");
  t.equal(g.control.calls.length, 4, 'no command for a made-up kit reached control');
  t.ok(
    (await g.metric('ha_commands_total', 'result="invalid"')) <= 3,
    'the made-up kits share one budget: at most its burst is looked at, the rest dropped',
  );
});

t.test('a target set while the bath is off is kept for Heat, not started; a done cook shows Heat and Off stops it', async (t) => {
  const broker = await startMosquitto(t);
  const p = await probe(t, broker.url);
  const states: Record<string, unknown>[] = [];
  p.client.on('message', (topic, payload) => {
    if (topic === 'sousvide/dial/kit-001/state' && payload.length > 0) states.push(JSON.parse(payload.toString()));
  });
  await p.client.subscribeAsync('sousvide/dial/kit-001/state', { qos: 1 });
  const g = await startBridge(t, broker.url, 'Dial', ['kit-001']);
  g.control.cooks.set('kit-001', { spec: { targetC: 60, durationMin: 120, food: 'chicken' }, state: 'stopped' });
  await until('the bridge connected', async () => (await g.metric('ha_mqtt_connected')) === 1);
  await sleep(300); // subscribed

  await p.client.publishAsync('sousvide/dial/kit-001/set/target', '63', { qos: 1 });
  await until('HA sees the new target', () => states.at(-1)?.target === 63);
  t.equal(states.at(-1)?.mode, 'off', 'the bath stays off');
  t.same(g.control.calls, [], 'nothing reached control: no cook started');

  await p.client.publishAsync('sousvide/dial/kit-001/set/mode', 'heat', { qos: 1 });
  await until('the cook started', () => g.control.starts() === 1);
  t.same(
    g.control.cooks.get('kit-001')?.spec,
    { targetC: 63, durationMin: 120, food: 'chicken' },
    "Heat starts the last cook's settings at the target set while off",
  );
  await until('HA sees it heating', () => states.at(-1)?.mode === 'heat');

  // The cook's timer ran out: the gateway holds the bath at its target until the cook is stopped.
  g.control.cooks.get('kit-001')!.state = 'done';
  await until('HA sees a done cook as heat', () => states.at(-1)?.mode === 'heat' && states.at(-1)?.cook === 'done');
  await p.client.publishAsync('sousvide/dial/kit-001/set/mode', 'off', { qos: 1 });
  await until('the stop', () => g.control.calls.includes('stop kit-001'));
  t.equal(g.control.cooks.get('kit-001')?.state, 'stopped', "HA's Off stops a done cook's held bath");

  // With no cook ever and no target, Heat has nothing to start: refused, counted.
  const fresh = await startBridge(t, broker.url, 'Fresh', ['kit-009']);
  await until('the second bridge connected', async () => (await fresh.metric('ha_mqtt_connected')) === 1);
  await sleep(300);
  await p.client.publishAsync('sousvide/fresh/kit-009/set/mode', 'heat', { qos: 1 });
  await until('refused', async () => (await fresh.metric('ha_commands_total', 'result="invalid"')) === 1);
  t.same(fresh.control.calls, [], 'no cook started');
});

t.test('a target kept for Heat is forgotten after 12 h: Heat then starts the last cook as it was', async (t) => {
  const broker = await startMosquitto(t);
  const p = await probe(t, broker.url);
  let now = Date.UTC(2026, 11, 8, 8, 0, 0);
  const g = await startBridge(t, broker.url, 'Stale', ['kit-001'], { now: () => now });
  g.control.cooks.set('kit-001', { spec: { targetC: 60, durationMin: 120 }, state: 'stopped' });
  await until('the bridge connected', async () => (await g.metric('ha_mqtt_connected')) === 1);
  await sleep(300); // subscribed
  await p.client.publishAsync('sousvide/stale/kit-001/set/target', '66', { qos: 1 });
  await until('the target counted', async () => (await g.metric('ha_commands_total', 'result="ok"')) === 1);
  now += SETPOINT_TTL_MS + 60_000;
  await p.client.publishAsync('sousvide/stale/kit-001/set/mode', 'heat', { qos: 1 });
  await until('the cook started', () => g.control.starts() === 1);
  t.same(g.control.calls, ['start kit-001 60'], "the last cook's own target, not the dial nudged 12 h ago");
});
