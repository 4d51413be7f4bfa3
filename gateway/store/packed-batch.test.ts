import { deserialize, serialize } from 'node:v8';
import t from 'tap';
import type { StoreItem } from './items.js';
import { packBatch, unpackBatch } from './packed-batch.js';

const tel = (over: Partial<Extract<StoreItem, { t: 'tel' }>> = {}): StoreItem => ({
  t: 'tel',
  deviceId: 'kit-a1',
  boot: 3,
  seq: 1042,
  ts: 1_763_798_400_123,
  rxTs: 1_763_798_400_130,
  tempC: 58.31,
  sensor: 'ok',
  heater: true,
  rssi: -61,
  outbox: null,
  ...over,
});

t.test('a packed batch crosses the structured clone and unpacks to the same items, in order', async (t) => {
  const items: StoreItem[] = [
    tel(),
    { t: 'sec', ts: 5, kind: 'auth_failed', deviceId: null, remote: '10.0.0.1', detail: 'bad_secret' },
    tel({
      deviceId: 'kit-b2',
      ts: null,
      tempC: null,
      sensor: 'disconnected',
      heater: false,
      rssi: undefined,
      outbox: '{"kind":"telemetry"}',
    }),
    tel({ boot: Number.MAX_SAFE_INTEGER, seq: 0, tempC: -10, rssi: 0 }),
    { t: 'status', deviceId: 'kit-a1', state: 'online', boot: 3, fw: '1.2.0', profile: 'toggle', rxTs: 9, outbox: null },
  ];
  const packed = deserialize(serialize(packBatch(items)));
  t.same([...unpackBatch(packed)], items, 'every field, nulls and an absent rssi included');
  t.equal(packed.items.filter((i: unknown) => i === 0).length, 3, 'the three readings travel as columns');
  t.same([...unpackBatch(packBatch([items[1] as StoreItem]))], [items[1]], 'a batch without telemetry travels as it is');
});
