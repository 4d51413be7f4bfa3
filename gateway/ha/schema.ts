import { z } from 'zod';

/**
 * Home Assistant's MQTT discovery payloads, as its documentation describes them, for the
 * platforms this gateway publishes. Written from:
 * - MQTT integration, discovery: https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery
 *   (topic `<discovery_prefix>/<component>/[<node_id>/]<object_id>/config`, node and object ids
 *   `[a-zA-Z0-9_-]+`; `device` needs `unique_id`; `origin` names the application; an empty
 *   retained payload removes the entity)
 * - MQTT climate: https://www.home-assistant.io/integrations/climate.mqtt/
 * - MQTT sensor: https://www.home-assistant.io/integrations/sensor.mqtt/ and the sensor device
 *   classes with their units: https://www.home-assistant.io/integrations/sensor/#device-class
 * - MQTT binary sensor: https://www.home-assistant.io/integrations/binary_sensor.mqtt/ and its
 *   device classes: https://www.home-assistant.io/integrations/binary_sensor/#device-class
 * The objects are strict: a key HA does not document for the platform is an error here (HA
 * itself refuses such a discovery payload with "extra keys not allowed").
 * Only the keys of the documented schema that this project can use are listed.
 */

/** A topic HA publishes to or subscribes to exactly: no wildcards, not empty (MQTT spec 4.7). */
const Topic = z
  .string()
  .min(1)
  .max(65_535)
  .refine((t) => !/[+#\0]/.test(t), 'must not contain the wildcards "+" or "#"');
/** A Jinja template (HA renders it); here: at least not empty and balanced `{{ }}`. */
const Template = z
  .string()
  .min(1)
  .refine((s) => (s.match(/\{\{/g) ?? []).length === (s.match(/\}\}/g) ?? []).length, 'unbalanced {{ }} in template');
const Qos = z.union([z.literal(0), z.literal(1), z.literal(2)]);

/** `availability` list entries (mqtt docs: "availability", keys topic, payload_available, payload_not_available, value_template). */
const AvailabilityItem = z.strictObject({
  topic: Topic,
  payload_available: z.string().optional(),
  payload_not_available: z.string().optional(),
  value_template: Template.optional(),
});

/** `device` map: ties the entity into the device registry; at least one of identifiers or connections. */
const Device = z
  .strictObject({
    configuration_url: z.url({ protocol: /^https?$/ }).optional(),
    connections: z.array(z.tuple([z.string(), z.string()])).optional(),
    hw_version: z.string().optional(),
    identifiers: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    manufacturer: z.string().optional(),
    model: z.string().optional(),
    model_id: z.string().optional(),
    name: z.string().optional(),
    serial_number: z.string().optional(),
    suggested_area: z.string().optional(),
    sw_version: z.string().optional(),
    via_device: z.string().optional(),
  })
  .refine((d) => d.identifiers !== undefined || d.connections !== undefined, 'needs identifiers or connections');

/** `origin` (mqtt docs, "Adding information about the origin of a discovery message"): name is required. */
const Origin = z.strictObject({
  name: z.string().min(1),
  sw_version: z.string().optional(),
  support_url: z.url({ protocol: /^https?$/ }).optional(),
});

/** Keys every MQTT entity platform documents (availability, device, identity, attributes). */
const common = {
  availability: z.array(AvailabilityItem).min(1).optional(),
  availability_mode: z.enum(['all', 'any', 'latest']).optional(),
  availability_template: Template.optional(),
  availability_topic: Topic.optional(),
  device: Device.optional(),
  enabled_by_default: z.boolean().optional(),
  encoding: z.string().optional(),
  entity_category: z.enum(['config', 'diagnostic']).optional(),
  icon: z
    .string()
    .regex(/^[a-z0-9-]+:[a-z0-9-]+$/, 'must be like mdi:thermometer')
    .optional(),
  json_attributes_template: Template.optional(),
  json_attributes_topic: Topic.optional(),
  name: z.string().nullable().optional(),
  object_id: z.string().optional(),
  default_entity_id: z.string().optional(),
  origin: Origin.optional(),
  payload_available: z.string().optional(),
  payload_not_available: z.string().optional(),
  qos: Qos.optional(),
  unique_id: z.string().min(1).optional(),
};

type Common = { availability?: unknown; availability_topic?: unknown; device?: unknown; unique_id?: unknown };
/** Rules across keys the docs state for every platform. */
function commonRules(p: Common, ctx: z.RefinementCtx): void {
  if (p.availability !== undefined && p.availability_topic !== undefined)
    ctx.addIssue({ code: 'custom', path: ['availability'], message: 'must not be used together with availability_topic' });
  if (p.device !== undefined && p.unique_id === undefined)
    ctx.addIssue({ code: 'custom', path: ['unique_id'], message: 'required when device is set (device registry)' });
}

/** climate.mqtt: `modes` must be a subset of HA's HVAC modes; `action` values are fixed; precision 0.1, 0.5 or 1.0. */
export const HVAC_MODES = ['auto', 'off', 'cool', 'heat', 'dry', 'fan_only', 'heat_cool'] as const;
export const HVAC_ACTIONS = ['off', 'heating', 'cooling', 'drying', 'idle', 'fan', 'preheating', 'defrosting'] as const;
export const ClimateConfig = z
  .strictObject({
    ...common,
    action_template: Template.optional(),
    action_topic: Topic.optional(),
    current_temperature_template: Template.optional(),
    current_temperature_topic: Topic.optional(),
    initial: z.number().optional(),
    max_temp: z.number().optional(),
    min_temp: z.number().optional(),
    mode_command_template: Template.optional(),
    mode_command_topic: Topic.optional(),
    mode_state_template: Template.optional(),
    mode_state_topic: Topic.optional(),
    modes: z.array(z.enum(HVAC_MODES)).min(1).optional(),
    optimistic: z.boolean().optional(),
    power_command_topic: Topic.optional(),
    precision: z.union([z.literal(0.1), z.literal(0.5), z.literal(1)]).optional(),
    retain: z.boolean().optional(),
    temp_step: z.number().positive().optional(),
    temperature_command_template: Template.optional(),
    temperature_command_topic: Topic.optional(),
    temperature_state_template: Template.optional(),
    temperature_state_topic: Topic.optional(),
    temperature_unit: z.enum(['C', 'F']).optional(),
    value_template: Template.optional(),
  })
  .superRefine((p, ctx) => {
    commonRules(p, ctx);
    if (p.min_temp !== undefined && p.max_temp !== undefined && p.min_temp >= p.max_temp)
      ctx.addIssue({ code: 'custom', path: ['max_temp'], message: 'must be above min_temp' });
  });

/** sensor device classes (sensor docs, "Device class") and the units HA accepts for the ones used here. */
export const SENSOR_DEVICE_CLASSES = [
  'apparent_power',
  'aqi',
  'area',
  'atmospheric_pressure',
  'battery',
  'blood_glucose_concentration',
  'carbon_dioxide',
  'carbon_monoxide',
  'conductivity',
  'current',
  'data_rate',
  'data_size',
  'date',
  'distance',
  'duration',
  'energy',
  'energy_distance',
  'energy_storage',
  'enum',
  'frequency',
  'gas',
  'humidity',
  'illuminance',
  'irradiance',
  'moisture',
  'monetary',
  'nitrogen_dioxide',
  'nitrogen_monoxide',
  'nitrous_oxide',
  'ozone',
  'ph',
  'pm1',
  'pm10',
  'pm25',
  'power',
  'power_factor',
  'precipitation',
  'precipitation_intensity',
  'pressure',
  'reactive_energy',
  'reactive_power',
  'signal_strength',
  'sound_pressure',
  'speed',
  'sulphur_dioxide',
  'temperature',
  'timestamp',
  'volatile_organic_compounds',
  'volatile_organic_compounds_parts',
  'voltage',
  'volume',
  'volume_flow_rate',
  'volume_storage',
  'water',
  'weight',
  'wind_direction',
  'wind_speed',
] as const;
const SENSOR_UNITS: Partial<Record<(typeof SENSOR_DEVICE_CLASSES)[number], readonly string[]>> = {
  temperature: ['°C', '°F', 'K'],
  duration: ['d', 'h', 'min', 's', 'ms'],
};
/** Classes whose state is not a number: no state_class, no unit (sensor docs; HA refuses the combination). */
const NON_NUMERIC = new Set(['date', 'enum', 'timestamp']);

export const SensorConfig = z
  .strictObject({
    ...common,
    device_class: z.enum(SENSOR_DEVICE_CLASSES).nullable().optional(),
    expire_after: z.number().int().positive().optional(),
    force_update: z.boolean().optional(),
    last_reset_value_template: Template.optional(),
    options: z.array(z.string().min(1)).min(1).optional(),
    suggested_display_precision: z.number().int().min(0).optional(),
    state_class: z.enum(['measurement', 'measurement_angle', 'total', 'total_increasing']).optional(),
    state_topic: Topic,
    unit_of_measurement: z.string().min(1).optional(),
    value_template: Template.optional(),
  })
  .superRefine((p, ctx) => {
    commonRules(p, ctx);
    const dc = p.device_class ?? null;
    if (dc !== null && NON_NUMERIC.has(dc)) {
      if (p.state_class !== undefined)
        ctx.addIssue({ code: 'custom', path: ['state_class'], message: `not allowed with device_class ${dc}` });
      if (p.unit_of_measurement !== undefined)
        ctx.addIssue({ code: 'custom', path: ['unit_of_measurement'], message: `not allowed with device_class ${dc}` });
    }
    if (p.options !== undefined && dc !== 'enum' && dc !== null)
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'only with device_class enum' });
    if (dc === 'enum' && p.options === undefined)
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'required with device_class enum' });
    const units = dc === null ? undefined : SENSOR_UNITS[dc];
    if (units && (p.unit_of_measurement === undefined || !units.includes(p.unit_of_measurement)))
      ctx.addIssue({ code: 'custom', path: ['unit_of_measurement'], message: `must be one of ${units.join(', ')} for device_class ${dc}` });
  });

/** binary_sensor device classes (binary_sensor docs, "Device class"). */
export const BINARY_SENSOR_DEVICE_CLASSES = [
  'battery',
  'battery_charging',
  'carbon_monoxide',
  'cold',
  'connectivity',
  'door',
  'garage_door',
  'gas',
  'heat',
  'light',
  'lock',
  'moisture',
  'motion',
  'moving',
  'occupancy',
  'opening',
  'plug',
  'power',
  'presence',
  'problem',
  'running',
  'safety',
  'smoke',
  'sound',
  'tamper',
  'update',
  'vibration',
  'window',
] as const;

export const BinarySensorConfig = z
  .strictObject({
    ...common,
    device_class: z.enum(BINARY_SENSOR_DEVICE_CLASSES).nullable().optional(),
    expire_after: z.number().int().positive().optional(),
    force_update: z.boolean().optional(),
    off_delay: z.number().int().positive().optional(),
    payload_off: z.string().optional(),
    payload_on: z.string().optional(),
    state_topic: Topic,
    value_template: Template.optional(),
  })
  .superRefine(commonRules);

/** The schema of each platform this gateway publishes, by discovery component name. */
export const DISCOVERY_SCHEMAS = {
  climate: ClimateConfig,
  sensor: SensorConfig,
  binary_sensor: BinarySensorConfig,
} as const;
export type Component = keyof typeof DISCOVERY_SCHEMAS;

/** mqtt docs: `<discovery_prefix>/<component>/[<node_id>/]<object_id>/config`. */
const ID = '[a-zA-Z0-9_-]+';
export function parseDiscoveryTopic(prefix: string, topic: string): { component: string; nodeId: string | null; objectId: string } | null {
  if (!topic.startsWith(`${prefix}/`)) return null;
  const m = new RegExp(`^([a-z_]+)/(?:(${ID})/)?(${ID})/config$`).exec(topic.slice(prefix.length + 1));
  if (!m) return null;
  return { component: m[1] as string, nodeId: m[2] ?? null, objectId: m[3] as string };
}
