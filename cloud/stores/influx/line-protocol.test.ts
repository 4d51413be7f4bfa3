import t from 'tap';
import { telemetry } from '../../testing/fixtures.js';
import { influxString, pointTimeNs, pointTimeNsString, subMsOffset, toLine } from './line-protocol.js';

t.test('one telemetry line: tags, typed fields, ns time with the (boot, seq) offset', async (t) => {
  const r = telemetry('kit-001', 7, 1042, { ts: 1_763_798_400_123, rxTs: 1_763_798_400_130, tempC: 58.31, rssi: -61, heater: true });
  t.equal(
    toLine('gw-1', r),
    'telemetry,device=kit-001,gateway=gw-1 boot=7i,heater=T,rx_ts=1763798400130i,sensor="ok",seq=1042i,device_ts=1763798400123i,rssi=-61i,temperature=58.31 1763798400123007042',
  );
  const noClock = telemetry('kit-001', 1, 2, { ts: null, tempC: null, rssi: undefined, sensor: 'disconnected' });
  t.match(
    toLine('gw-1', noClock),
    / boot=1i,heater=T,rx_ts=\d+i,sensor="disconnected",seq=2i \d+$/,
    'null temperature and absent rssi are omitted',
  );
  t.ok(toLine('gw 1,=x', r).startsWith('telemetry,device=kit-001,gateway=gw\\ 1\\,\\=x boot='), 'tag escaping');
});

t.test('point time: same record → same time; different (boot, seq) in one ms → different times', async (t) => {
  const a = { ts: 1000, rxTs: 5, boot: 1, seq: 1 };
  t.equal(pointTimeNs(a), pointTimeNs({ ...a }));
  t.not(pointTimeNs(a), pointTimeNs({ ...a, boot: 2 }));
  t.not(pointTimeNs(a), pointTimeNs({ ...a, seq: 2 }));
  t.ok(subMsOffset(999, 999_999) < 1_000_000, 'the offset stays inside the millisecond');
  for (const r of [a, { ts: 0, rxTs: 9, boot: 3, seq: 4 }, { ts: null, rxTs: 1_763_798_400_130, boot: 1234, seq: 999_999 }]) {
    t.equal(pointTimeNsString(r), pointTimeNs(r).toString());
  }
});

t.test('InfluxQL string literals escape quotes and backslashes', async (t) => {
  t.equal(influxString("a'b\\c"), "'a\\'b\\\\c'");
});
