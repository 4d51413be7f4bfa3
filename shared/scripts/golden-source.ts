/**
 * Source of shared/fixtures/golden-v1.json: golden device payloads, valid and invalid, that every
 * implementation (the TypeScript schemas, the firmware's C++ core) is tested against.
 * `field` is the field the rejection must name ("(root)" for whole-payload errors; the path of a
 * repeated key, `a.0.b`, for SV_ERR_PAYLOAD_DUPLICATE_KEY).
 */
export interface GoldenValid {
  name: string;
  kind: 'telemetry' | 'status' | 'cmd' | 'ack';
  payload: string;
}
export interface GoldenInvalid extends GoldenValid {
  code: 'SV_ERR_PAYLOAD_INVALID' | 'SV_ERR_PAYLOAD_NOT_JSON' | 'SV_ERR_PAYLOAD_TOO_LARGE' | 'SV_ERR_PAYLOAD_DUPLICATE_KEY';
  field: string;
}

const t = (o: Record<string, unknown>) =>
  JSON.stringify({ v: 1, boot: 7, seq: 1042, ts: 1763798400123, tempC: 58.31, sensor: 'ok', heater: true, ...o });
const omit = (o: Record<string, unknown>, key: string) => {
  const c = { ...o };
  delete c[key];
  return c;
};
const baseTelemetry = { v: 1, boot: 7, seq: 1042, ts: 1763798400123, tempC: 58.31, sensor: 'ok', heater: true };

export const valid: GoldenValid[] = [
  { name: 'telemetry from docs/protocol.md', kind: 'telemetry', payload: t({ rssi: -61 }) },
  { name: 'telemetry without rssi', kind: 'telemetry', payload: t({}) },
  { name: 'telemetry with no synced clock', kind: 'telemetry', payload: t({ ts: null }) },
  { name: 'telemetry probe disconnected', kind: 'telemetry', payload: t({ tempC: null, sensor: 'disconnected' }) },
  { name: 'telemetry power-on reading', kind: 'telemetry', payload: t({ tempC: null, sensor: 'por', seq: 0 }) },
  { name: 'telemetry crc failure', kind: 'telemetry', payload: t({ tempC: null, sensor: 'crc' }) },
  { name: 'telemetry out of range', kind: 'telemetry', payload: t({ tempC: null, sensor: 'range' }) },
  { name: 'telemetry at the resolution step', kind: 'telemetry', payload: t({ tempC: 54.0625, heater: false }) },
  { name: 'telemetry at the range limits', kind: 'telemetry', payload: t({ tempC: -10, boot: 0, seq: 0 }) },
  { name: 'telemetry first boot', kind: 'telemetry', payload: t({ boot: 0, seq: 0, tempC: 110 }) },
  {
    name: 'status online from docs/protocol.md',
    kind: 'status',
    payload: '{"v":1,"state":"online","boot":7,"fw":"1.0.0","profile":"toggle"}',
  },
  {
    name: 'status last will',
    kind: 'status',
    payload: '{"v":1,"state":"offline","boot":7,"fw":"1.0.0","profile":"toggle"}',
  },
  {
    name: 'command press from docs/protocol.md',
    kind: 'cmd',
    payload: '{"v":1,"id":"c-01J9Z3K7Q2","op":"press","expect":"on","ttlMs":5000}',
  },
  {
    name: 'command safe with send time and limit',
    kind: 'cmd',
    payload: '{"v":1,"id":"c-01J9Z3K7Q3","op":"safe","ttlMs":5000,"sentTs":1763798400123,"maxC":90}',
  },
  { name: 'ack ok from docs/protocol.md', kind: 'ack', payload: '{"v":1,"id":"c-01J9Z3K7Q2","ok":true,"heater":true}' },
  {
    name: 'status whose fw text looks like a repeated key',
    kind: 'status',
    payload: '{"v":1,"state":"online","boot":7,"fw":"\\"state\\":\\"x\\"","profile":"toggle"}',
  },
  {
    name: 'ack refused with reason',
    kind: 'ack',
    payload: '{"v":1,"id":"c-01J9Z3K7Q2","ok":false,"heater":false,"err":"expired"}',
  },
];

export const invalid: GoldenInvalid[] = [
  { name: 'not JSON', kind: 'telemetry', payload: '{"v":1,"boot":', code: 'SV_ERR_PAYLOAD_NOT_JSON', field: '(root)' },
  { name: 'JSON array', kind: 'telemetry', payload: '[1,2,3]', code: 'SV_ERR_PAYLOAD_INVALID', field: '(root)' },
  { name: 'JSON string', kind: 'telemetry', payload: '"hello"', code: 'SV_ERR_PAYLOAD_INVALID', field: '(root)' },
  { name: 'unknown field', kind: 'telemetry', payload: t({ humidity: 40 }), code: 'SV_ERR_PAYLOAD_INVALID', field: 'humidity' },
  { name: 'wrong version', kind: 'telemetry', payload: t({ v: 2 }), code: 'SV_ERR_PAYLOAD_INVALID', field: 'v' },
  {
    name: 'missing seq',
    kind: 'telemetry',
    payload: JSON.stringify(omit(baseTelemetry, 'seq')),
    code: 'SV_ERR_PAYLOAD_INVALID',
    field: 'seq',
  },
  { name: 'negative seq', kind: 'telemetry', payload: t({ seq: -1 }), code: 'SV_ERR_PAYLOAD_INVALID', field: 'seq' },
  { name: 'fractional boot', kind: 'telemetry', payload: t({ boot: 1.5 }), code: 'SV_ERR_PAYLOAD_INVALID', field: 'boot' },
  { name: 'tempC as string', kind: 'telemetry', payload: t({ tempC: '58.3' }), code: 'SV_ERR_PAYLOAD_INVALID', field: 'tempC' },
  { name: 'tempC null with sensor ok', kind: 'telemetry', payload: t({ tempC: null }), code: 'SV_ERR_PAYLOAD_INVALID', field: 'tempC' },
  { name: 'tempC -127 reported as ok', kind: 'telemetry', payload: t({ tempC: -127 }), code: 'SV_ERR_PAYLOAD_INVALID', field: 'tempC' },
  {
    name: 'tempC with sensor fault',
    kind: 'telemetry',
    payload: t({ tempC: 85, sensor: 'por' }),
    code: 'SV_ERR_PAYLOAD_INVALID',
    field: 'tempC',
  },
  { name: 'unknown sensor state', kind: 'telemetry', payload: t({ sensor: 'broken' }), code: 'SV_ERR_PAYLOAD_INVALID', field: 'sensor' },
  { name: 'heater as number', kind: 'telemetry', payload: t({ heater: 1 }), code: 'SV_ERR_PAYLOAD_INVALID', field: 'heater' },
  { name: 'ts as ISO string', kind: 'telemetry', payload: t({ ts: '2025-11-22T08:00:00Z' }), code: 'SV_ERR_PAYLOAD_INVALID', field: 'ts' },
  { name: 'positive rssi', kind: 'telemetry', payload: t({ rssi: 12 }), code: 'SV_ERR_PAYLOAD_INVALID', field: 'rssi' },
  {
    name: 'oversized payload',
    kind: 'telemetry',
    payload: t({ pad: 'x'.repeat(1100) }),
    code: 'SV_ERR_PAYLOAD_TOO_LARGE',
    field: '(root)',
  },
  {
    name: 'status unknown state',
    kind: 'status',
    payload: '{"v":1,"state":"sleeping","boot":7,"fw":"1.0.0","profile":"toggle"}',
    code: 'SV_ERR_PAYLOAD_INVALID',
    field: 'state',
  },
  {
    name: 'status unknown profile',
    kind: 'status',
    payload: '{"v":1,"state":"online","boot":7,"fw":"1.0.0","profile":"relay"}',
    code: 'SV_ERR_PAYLOAD_INVALID',
    field: 'profile',
  },
  {
    name: 'status missing fw',
    kind: 'status',
    payload: '{"v":1,"state":"online","boot":7,"profile":"toggle"}',
    code: 'SV_ERR_PAYLOAD_INVALID',
    field: 'fw',
  },
  {
    name: 'command press without expect',
    kind: 'cmd',
    payload: '{"v":1,"id":"c-1","op":"press","ttlMs":5000}',
    code: 'SV_ERR_PAYLOAD_INVALID',
    field: 'expect',
  },
  {
    name: 'command unknown op',
    kind: 'cmd',
    payload: '{"v":1,"id":"c-1","op":"boil","ttlMs":5000}',
    code: 'SV_ERR_PAYLOAD_INVALID',
    field: 'op',
  },
  {
    name: 'command id too long',
    kind: 'cmd',
    payload: `{"v":1,"id":"${'c'.repeat(41)}","op":"safe","ttlMs":5000}`,
    code: 'SV_ERR_PAYLOAD_INVALID',
    field: 'id',
  },
  {
    name: 'command id with a slash',
    kind: 'cmd',
    payload: '{"v":1,"id":"c/1","op":"safe","ttlMs":5000}',
    code: 'SV_ERR_PAYLOAD_INVALID',
    field: 'id',
  },
  {
    name: 'ack refused without reason',
    kind: 'ack',
    payload: '{"v":1,"id":"c-1","ok":false,"heater":true}',
    code: 'SV_ERR_PAYLOAD_INVALID',
    field: 'err',
  },
  {
    name: 'ack missing heater',
    kind: 'ack',
    payload: '{"v":1,"id":"c-1","ok":true}',
    code: 'SV_ERR_PAYLOAD_INVALID',
    field: 'heater',
  },
  {
    name: 'repeated key (the later value would win in JSON.parse)',
    kind: 'telemetry',
    payload: `${t({ tempC: 200 }).slice(0, -1)},"tempC":50}`,
    code: 'SV_ERR_PAYLOAD_DUPLICATE_KEY',
    field: 'tempC',
  },
  {
    name: 'repeated key spelled with an escape',
    kind: 'cmd',
    payload: '{"v":1,"id":"c-1","op":"press","expect":"on","ttlMs":5000,"expe\\u0063t":"off"}',
    code: 'SV_ERR_PAYLOAD_DUPLICATE_KEY',
    field: 'expect',
  },
  {
    name: 'repeated key in an object inside an array',
    kind: 'ack',
    payload: '{"v":1,"id":"c-1","ok":false,"heater":false,"err":[{"code":1},{"code":2,"code":3}]}',
    code: 'SV_ERR_PAYLOAD_DUPLICATE_KEY',
    field: 'err.1.code',
  },
  {
    name: 'repeated key before a schema error',
    kind: 'status',
    payload: '{"v":2,"state":"online","boot":7,"fw":"1.0.0","profile":"toggle","boot":8}',
    code: 'SV_ERR_PAYLOAD_DUPLICATE_KEY',
    field: 'boot',
  },
];
