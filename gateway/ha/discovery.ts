import { z } from 'zod';
import { CookSpec, type CookState } from '../../shared/cook.js';
import { formatIssues } from '../../shared/zod-issues.js';
import type { Component } from './schema.js';

/**
 * The pure half of the Home Assistant bridge: a kit's control view → MQTT discovery configs, its
 * state payload and availability; HA's command messages → cook changes. No I/O here (the MQTT
 * driver and the bridge do that). Modelled on zigbee2mqtt's Home Assistant extension: one JSON
 * state topic per device, every entity reads its field with a `value_template`, and availability
 * is the bridge's own topic (Last Will) AND the device's.
 */

/** The fields of ControlLoop.view() the bridge uses (a structural subset: the view satisfies it). */
export interface HaKitView {
  deviceId: string;
  online: boolean;
  last: { tempC: number | null; rxTs: number } | null;
  cook: { spec: CookSpec; state: CookState } | null;
  heaterInferredOn: boolean;
  reachedTs: number | null;
  alarms: string[];
  /** Cook outcomes (docs/food-safety.md): epoch ms, or null when unknown or never. */
  readyAt?: number | null;
  doneAt?: number | null;
  safeAt?: number | null;
}

const TIMESTAMP = { device_class: 'timestamp' };
const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export interface HaNaming {
  /** Discovery prefix (HA's default `homeassistant`). */
  prefix: string;
  /** This gateway's topic root, `sousvide/<gateway>`. */
  base: string;
  /** The gateway's slug, part of every node and unique id (two gateways never collide). */
  gateway: string;
  /** Highest target HA offers (the gateway's over-temperature limit caps the cook range). */
  maxTargetC: number;
}

export interface DiscoveryEntry {
  component: Component;
  objectId: string;
  topic: string;
  config: Record<string, unknown>;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]+/g, '_');
const ON = 'ON';
const OFF = 'OFF';

/** `maxTargetC`: the highest target the gateway's control accepts (control.maxC less the overshoot margin). */
export function haNaming(prefix: string, gatewayName: string, maxTargetC: number): HaNaming {
  const gateway = slug(gatewayName);
  const spec = CookSpec.shape.targetC;
  const maxTarget = Math.min(maxTargetC, (spec.maxValue as number | null) ?? maxTargetC);
  return { prefix, base: `sousvide/${gateway}`, gateway, maxTargetC: maxTarget };
}

export const bridgeAvailabilityTopic = (n: HaNaming) => `${n.base}/availability`;

export function kitTopics(n: HaNaming, kitId: string) {
  const root = `${n.base}/${kitId}`;
  return {
    state: `${root}/state`,
    availability: `${root}/availability`,
    setTarget: `${root}/set/target`,
    setMode: `${root}/set/mode`,
  };
}

/** What HA subscribes the bridge to: every kit's command topics. */
export const commandSubscription = (n: HaNaming) => `${n.base}/+/set/+`;

export const nodeId = (n: HaNaming, kitId: string) => `sousvide_${n.gateway}_${kitId}`;

const COOK_STATES = ['idle', 'heating', 'holding', 'done', 'stopped'] as const;

/** A sensor: its discovery keys and where its value comes from in the view. */
interface SensorDef {
  object: string;
  name: string;
  config: Record<string, unknown>;
  value: (v: HaKitView, now: number) => number | string | null;
}

/** The minutes a timed cook still has: its timer runs from reaching the target (engine rule). */
export function timeLeftMin(v: HaKitView, now: number): number | null {
  const c = v.cook;
  if (!c || c.spec.durationMin === undefined || c.state === 'stopped') return null;
  if (c.state === 'done') return 0;
  if (c.state === 'heating' || v.reachedTs === null) return c.spec.durationMin;
  return Math.max(0, Math.ceil((v.reachedTs + c.spec.durationMin * 60_000 - now) / 60_000));
}

/** Sensors per kit: the bath, the cook, and its outcomes (ready, done and safe-to-eat times, guidance). */
export const SENSORS: readonly SensorDef[] = [
  {
    object: 'temperature',
    name: 'Bath temperature',
    config: { device_class: 'temperature', unit_of_measurement: '°C', state_class: 'measurement', suggested_display_precision: 1 },
    value: (v) => v.last?.tempC ?? null,
  },
  {
    object: 'cook',
    name: 'Cook',
    config: { device_class: 'enum', options: [...COOK_STATES], icon: 'mdi:pot-steam' },
    value: (v) => v.cook?.state ?? 'idle',
  },
  {
    object: 'time_left',
    name: 'Time left',
    config: { device_class: 'duration', unit_of_measurement: 'min', icon: 'mdi:timer-sand' },
    value: timeLeftMin,
  },
  { object: 'ready_at', name: 'Water ready at', config: { ...TIMESTAMP, icon: 'mdi:thermometer-check' }, value: (v) => iso(v.readyAt) },
  { object: 'done_at', name: 'Cook done at', config: { ...TIMESTAMP, icon: 'mdi:timer-check' }, value: (v) => iso(v.doneAt) },
  { object: 'safe_at', name: 'Food safe at (guidance)', config: { ...TIMESTAMP, icon: 'mdi:shield-check' }, value: (v) => iso(v.safeAt) },
];

interface BinaryDef {
  object: string;
  name: string;
  config: Record<string, unknown>;
  value: (v: HaKitView) => boolean;
  /** Only the bridge's availability (this entity reports the kit's link itself). */
  bridgeOnly?: boolean;
}

export const BINARY_SENSORS: readonly BinaryDef[] = [
  { object: 'heater', name: 'Heater', config: { device_class: 'power', icon: 'mdi:radiator' }, value: (v) => v.heaterInferredOn },
  { object: 'alarm', name: 'Alarm', config: { device_class: 'problem' }, value: (v) => v.alarms.length > 0 },
  {
    object: 'link',
    name: 'Link',
    config: { device_class: 'connectivity', entity_category: 'diagnostic' },
    value: (v) => v.online,
    bridgeOnly: true,
  },
];

/**
 * The gateway holds the bath: a cook heating, holding, or done (a done cook's bath is held at its
 * target until the cook is stopped). HA shows *Heat* then, and its *Off* stops it.
 */
export const holdsBath = (v: Pick<HaKitView, 'cook'> | null | undefined): boolean =>
  v?.cook?.state === 'heating' || v?.cook?.state === 'holding' || v?.cook?.state === 'done';

/**
 * The kit's state payload (one JSON object; every entity's value_template picks its field).
 * `setpoint`: a target HA set while the bath was off, kept for its *Heat* (shown as the target).
 */
export function kitState(v: HaKitView | null, now: number, setpoint?: number): Record<string, unknown> {
  const holds = holdsBath(v);
  const out: Record<string, unknown> = {
    mode: holds ? 'heat' : 'off',
    action: !holds ? 'off' : v?.heaterInferredOn ? 'heating' : 'idle',
    target: holds ? (v?.cook?.spec.targetC ?? null) : (setpoint ?? v?.cook?.spec.targetC ?? null),
    alarms: v?.alarms ?? [],
  };
  for (const s of SENSORS) out[s.object] = v ? s.value(v, now) : null;
  for (const b of BINARY_SENSORS) out[b.object] = v ? (b.value(v) ? ON : OFF) : OFF;
  return out;
}

/** online when the kit's link is up (its Last Will says offline; a kit never seen is offline). */
export const kitAvailability = (v: HaKitView | null) => (v?.online && v.last !== null ? 'online' : 'offline');

/** Every discovery config of one kit: the bath as a climate entity, the sensors and binary sensors. */
export function discoveryConfigs(n: HaNaming, kitId: string): DiscoveryEntry[] {
  const t = kitTopics(n, kitId);
  const node = nodeId(n, kitId);
  const bridge = { topic: bridgeAvailabilityTopic(n) };
  const availability = { availability: [bridge, { topic: t.availability }], availability_mode: 'all' };
  const base = (object: string, name: string) => ({
    name,
    unique_id: `${node}_${object}`,
    device: { identifiers: [node], name: kitId, manufacturer: 'smart sous-vide', model: 'ESP32 sous-vide kit' },
    origin: { name: 'sousvide gateway' },
  });
  const entry = (component: Component, object: string, config: Record<string, unknown>): DiscoveryEntry => ({
    component,
    objectId: object,
    topic: `${n.prefix}/${component}/${node}/${object}/config`,
    config: JSON.parse(JSON.stringify(config)) as Record<string, unknown>, // drops undefined keys
  });
  const out: DiscoveryEntry[] = [
    entry('climate', 'bath', {
      ...base('bath', 'Bath'),
      ...availability,
      icon: 'mdi:pot-steam',
      modes: ['off', 'heat'],
      mode_command_topic: t.setMode,
      mode_state_topic: t.state,
      mode_state_template: '{{ value_json.mode }}',
      temperature_command_topic: t.setTarget,
      temperature_state_topic: t.state,
      temperature_state_template: '{{ value_json.target }}',
      current_temperature_topic: t.state,
      current_temperature_template: '{{ value_json.temperature }}',
      action_topic: t.state,
      action_template: '{{ value_json.action }}',
      min_temp: CookSpec.shape.targetC.minValue ?? 20,
      max_temp: n.maxTargetC,
      temp_step: 0.5,
      precision: 0.1,
      temperature_unit: 'C',
      optimistic: false,
      qos: 1,
    }),
  ];
  for (const s of SENSORS)
    out.push(
      entry('sensor', s.object, {
        ...base(s.object, s.name),
        ...availability,
        ...s.config,
        state_topic: t.state,
        value_template: `{{ value_json.${s.object} }}`,
      }),
    );
  for (const b of BINARY_SENSORS)
    out.push(
      entry('binary_sensor', b.object, {
        ...base(b.object, b.name),
        ...(b.bridgeOnly ? { availability: [bridge] } : availability),
        ...b.config,
        state_topic: t.state,
        value_template: `{{ value_json.${b.object} }}`,
        payload_on: ON,
        payload_off: OFF,
        ...(b.object === 'alarm'
          ? { json_attributes_topic: t.state, json_attributes_template: '{{ {"alarms": value_json.alarms} | tojson }}' }
          : {}),
      }),
    );
  return out;
}

/** A command from HA, parsed; `error` names the field and the reason (logged and counted, never thrown). */
export type HaCommand =
  | { kitId: string; kind: 'target'; targetC: number }
  | { kitId: string; kind: 'mode'; mode: 'off' | 'heat' }
  | { kitId: string; kind: 'invalid'; error: string };

const Target = z
  .string()
  .trim()
  .regex(/^-?\d+(\.\d+)?$/, 'must be a number of °C')
  .transform(Number)
  .pipe(CookSpec.shape.targetC);
const Mode = z.enum(['off', 'heat']);

/** null: not a command topic of this gateway. */
export function parseCommand(n: HaNaming, topic: string, payload: string): HaCommand | null {
  if (!topic.startsWith(`${n.base}/`)) return null;
  const m = /^([a-z0-9][a-z0-9-]{2,31})\/set\/([a-z]+)$/.exec(topic.slice(n.base.length + 1));
  if (!m) return null;
  const kitId = m[1] as string;
  const what = m[2];
  if (what === 'target') {
    const r = Target.safeParse(payload);
    return r.success
      ? { kitId, kind: 'target', targetC: r.data }
      : { kitId, kind: 'invalid', error: formatIssues(r.error, 'target').join('; ') };
  }
  if (what === 'mode') {
    const r = Mode.safeParse(payload.trim());
    return r.success ? { kitId, kind: 'mode', mode: r.data } : { kitId, kind: 'invalid', error: formatIssues(r.error, 'mode').join('; ') };
  }
  return { kitId, kind: 'invalid', error: `${what}: not a command (target or mode)` };
}
