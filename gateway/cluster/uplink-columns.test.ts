import { deserialize, serialize } from 'node:v8';
import t from 'tap';
import { topics } from '../../shared/topics.js';
import { parseUplink } from '../ingest/pipeline.js';
import type { UplinkItem } from './messages.js';
import { packUplinks, unpackUplinks } from './uplink-columns.js';

const item = (ref: number, deviceId: string, suffix: 'telemetry' | 'status' | 'ack', body: string, qos = 1): UplinkItem => {
  const payload = Buffer.from(body);
  const parsed = parseUplink(suffix, payload);
  return [ref, deviceId, suffix, topics[suffix](deviceId), qos, parsed.ok ? null : payload, parsed];
};

t.test('uplinks survive the columns and the IPC channel exactly, in order', async (t) => {
  const items: UplinkItem[] = [
    item(1, 'kit-a', 'telemetry', '{"v":1,"boot":3,"seq":10,"ts":1733300000000,"tempC":56.25,"sensor":"ok","heater":true,"rssi":-61}'),
    item(2, 'kit-b', 'status', '{"v":1,"state":"online","boot":1,"fw":"1.2.0","profile":"toggle"}'),
    item(3, 'kit-a', 'telemetry', '{"v":1,"boot":3,"seq":11,"ts":null,"tempC":null,"sensor":"disconnected","heater":false}'),
    item(4, 'kit-c', 'telemetry', '{"v":1,"boot":1,"seq":1,"ts":null,"tempC":"hot","sensor":"ok","heater":false}'),
    item(0, 'kit-d', 'telemetry', '{"v":1,"boot":0,"seq":0,"ts":0,"tempC":-10,"sensor":"ok","heater":false,"rssi":0}', 0),
  ];
  t.equal(items[3]?.[6].ok, false, 'the fourth is refused by the strict parse (it keeps its payload)');
  const batch = packUplinks(items);
  t.equal(batch.tel?.ids.length, 3, 'the three valid readings go as columns');
  const back = [...unpackUplinks(deserialize(serialize(batch)))];
  t.strictSame(back, items, 'every field of every uplink, and the order');
  t.strictSame(
    back.map((u) => (u[6].ok && u[2] === 'telemetry' ? Object.keys(u[6].value).sort() : null)),
    items.map((u) => (u[6].ok && u[2] === 'telemetry' ? Object.keys(u[6].value).sort() : null)),
    'an absent rssi stays absent',
  );
});

t.test('a batch without valid telemetry goes as it is', async (t) => {
  const items = [item(7, 'kit-b', 'status', '{"v":1,"state":"offline","boot":1,"fw":"1.2.0","profile":"toggle"}')];
  const batch = packUplinks(items);
  t.equal(batch.tel, null);
  t.same([...unpackUplinks(batch)], items);
});
