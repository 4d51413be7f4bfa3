import t from 'tap';
import { discoveryConfigs, type HaKitView, haNaming, kitAvailability, kitState, kitTopics, parseCommand, SENSORS } from './discovery.js';
import { ClimateConfig, DISCOVERY_SCHEMAS, parseDiscoveryTopic, SensorConfig } from './schema.js';

const n = haNaming('homeassistant', 'Kitchen Pi', 87);
const view = (o: Partial<HaKitView> = {}): HaKitView => ({
  deviceId: 'kit-001',
  online: true,
  last: { tempC: 56.4, rxTs: 1_000 },
  cook: null,
  heaterInferredOn: false,
  reachedTs: null,
  alarms: [],
  ...o,
});
const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');

t.test("every discovery config of a kit is valid against HA's documented schema for its platform", async (t) => {
  const entries = discoveryConfigs(n, 'kit-001');
  const byComponent = new Map<string, string[]>();
  for (const e of entries) {
    const r = DISCOVERY_SCHEMAS[e.component].safeParse(e.config);
    t.ok(r.success, `${e.component}/${e.objectId} is valid${r.success ? '' : `: ${issues(r)}`}`);
    const topic = parseDiscoveryTopic('homeassistant', e.topic);
    t.same(
      topic,
      { component: e.component, nodeId: 'sousvide_kitchen_pi_kit-001', objectId: e.objectId },
      `${e.topic} has HA's topic shape`,
    );
    byComponent.set(e.component, [...(byComponent.get(e.component) ?? []), e.objectId]);
  }
  t.same(byComponent.get('climate'), ['bath'], 'the bath is a climate entity');
  t.same(byComponent.get('sensor'), ['temperature', 'cook', 'time_left', 'ready_at', 'done_at', 'safe_at']);
  t.same(byComponent.get('binary_sensor'), ['heater', 'alarm', 'link']);
  const ids = entries.map((e) => e.config.unique_id);
  t.equal(new Set(ids).size, ids.length, 'unique ids are unique');

  // Every template reads a field the state payload has, and every topic HA reads is the kit's.
  const state = kitState(view(), 0);
  const topics = kitTopics(n, 'kit-001');
  for (const e of entries)
    for (const [key, value] of Object.entries(e.config)) {
      if (key.endsWith('_template') && typeof value === 'string')
        for (const m of value.matchAll(/value_json\.([a-z_]+)/g))
          t.ok((m[1] as string) in state, `${e.objectId}.${key} reads "${m[1]}", which the state has`);
      if (key.endsWith('_state_topic') || key === 'state_topic' || key === 'action_topic' || key === 'current_temperature_topic')
        t.equal(value, topics.state, `${e.objectId}.${key} is the kit's state topic`);
    }
  const climate = entries[0]?.config as Record<string, unknown>;
  t.equal(climate.max_temp, 87, 'HA offers targets up to the highest one the gateway accepts');
  t.equal(climate.min_temp, 20, 'and from the cook minimum');
  t.same(
    climate.availability,
    [{ topic: 'sousvide/kitchen_pi/availability' }, { topic: topics.availability }],
    'bridge AND kit availability',
  );
});

t.test('the schema refuses what HA refuses, naming the key', async (t) => {
  const climate = discoveryConfigs(n, 'kit-001')[0]?.config as Record<string, unknown>;
  t.match(issues(ClimateConfig.safeParse({ ...climate, modes: ['off', 'boil'] })), /modes\.1/, 'a mode HA does not know');
  t.match(issues(ClimateConfig.safeParse({ ...climate, temperature_command_topic: 'a/+/b' })), /temperature_command_topic: .*wildcard/);
  t.match(issues(ClimateConfig.safeParse({ ...climate, precision: 0.2 })), /precision/);
  t.match(issues(ClimateConfig.safeParse({ ...climate, min_temp: 95 })), /max_temp: must be above min_temp/);
  t.match(issues(ClimateConfig.safeParse({ ...climate, tempurature_unit: 'C' })), /tempurature_unit/, 'a misspelt key');
  const { unique_id: _u, ...noId } = climate;
  t.match(issues(ClimateConfig.safeParse(noId)), /unique_id: required when device is set/);
  const sensor = { state_topic: 'a/b', unique_id: 'x' };
  t.match(issues(SensorConfig.safeParse({ ...sensor, device_class: 'enum' })), /options: required/);
  t.match(
    issues(SensorConfig.safeParse({ ...sensor, device_class: 'duration', unit_of_measurement: 'minutes' })),
    /unit_of_measurement: must be one of/,
  );
  t.match(issues(SensorConfig.safeParse({ ...sensor, device_class: 'timestamp', state_class: 'measurement' })), /state_class: not allowed/);
  t.match(issues(SensorConfig.safeParse({ ...sensor, device_class: 'temperatur', unit_of_measurement: '°C' })), /device_class/);
  t.match(issues(SensorConfig.safeParse({ unique_id: 'x' })), /state_topic/, 'a sensor needs its state topic');
  t.equal(parseDiscoveryTopic('homeassistant', 'homeassistant/sensor/a b/x/config'), null, 'node ids are [a-zA-Z0-9_-]');
});

t.test('the state payload follows the control view', async (t) => {
  const idle = kitState(view(), 0);
  t.match(idle, {
    mode: 'off',
    action: 'off',
    target: null,
    temperature: 56.4,
    cook: 'idle',
    time_left: null,
    heater: 'OFF',
    alarm: 'OFF',
    link: 'ON',
  });
  const heating = kitState(view({ cook: { spec: { targetC: 57, durationMin: 90 }, state: 'heating' }, heaterInferredOn: true }), 0);
  t.match(
    heating,
    { mode: 'heat', action: 'heating', target: 57, cook: 'heating', time_left: 90, heater: 'ON' },
    'the timer waits for the target',
  );
  const holding = kitState(view({ cook: { spec: { targetC: 57, durationMin: 90 }, state: 'holding' }, reachedTs: 0 }), 30 * 60_000 + 1);
  t.match(holding, { mode: 'heat', action: 'idle', time_left: 60 }, '30 min after reaching the target, 60 of 90 min are left');
  const done = kitState(view({ cook: { spec: { targetC: 57, durationMin: 90 }, state: 'done' }, reachedTs: 0 }), 91 * 60_000);
  t.match(done, { mode: 'heat', time_left: 0, target: 57 }, "a done cook's bath is still held at its target: heat");
  const stopped = view({ cook: { spec: { targetC: 57, durationMin: 90 }, state: 'stopped' } });
  t.match(kitState(stopped, 0), { mode: 'off', action: 'off', target: 57 }, 'a stopped cook: off, its target still shown');
  t.match(kitState(stopped, 0, 62), { mode: 'off', target: 62 }, 'a target set while off is shown');
  t.match(kitState(view({ cook: { spec: { targetC: 57 }, state: 'heating' } }), 0, 62), { target: 57 }, "a running cook's target wins");
  const alarmed = kitState(view({ alarms: ['over_temp', 'sensor_fault'], online: false }), 0);
  t.match(alarmed, { alarm: 'ON', alarms: ['over_temp', 'sensor_fault'], link: 'OFF' });
  t.equal(kitAvailability(view()), 'online');
  t.equal(kitAvailability(view({ online: false })), 'offline', "the kit's Last Will");
  t.equal(kitAvailability(null), 'offline', 'a kit never seen');
  t.equal(kitState(null, 0).temperature, null);
  t.equal(SENSORS.length, 6);
});

t.test("HA's commands are parsed strictly; a bad one names the field", async (t) => {
  const tp = kitTopics(n, 'kit-001');
  t.same(parseCommand(n, tp.setTarget, '57.5'), { kitId: 'kit-001', kind: 'target', targetC: 57.5 });
  t.same(parseCommand(n, tp.setMode, 'off'), { kitId: 'kit-001', kind: 'mode', mode: 'off' });
  t.same(parseCommand(n, tp.setMode, 'heat'), { kitId: 'kit-001', kind: 'mode', mode: 'heat' });
  t.match(parseCommand(n, tp.setTarget, 'hot'), { kind: 'invalid', error: /^target: must be a number/ });
  t.match(parseCommand(n, tp.setTarget, '19'), { kind: 'invalid', error: /^target: .*20/ }, 'below the cook minimum');
  t.match(parseCommand(n, tp.setTarget, '200'), { kind: 'invalid', error: /^target: .*95/ });
  t.match(parseCommand(n, tp.setMode, 'cool'), { kind: 'invalid', error: /^mode: / });
  t.match(parseCommand(n, 'sousvide/kitchen_pi/kit-001/set/power', 'ON'), { kind: 'invalid', error: /^power: not a command/ });
  t.equal(parseCommand(n, 'sousvide/other_gw/kit-001/set/target', '57'), null, "another gateway's topic");
  t.equal(parseCommand(n, tp.state, '{}'), null, 'not a command topic');
});
