import t from 'tap';
import { pointTimeNs } from './influx/line-protocol.js';
import { MAX_DEVICE_LAG_MS, MAX_DEVICE_LEAD_MS, readingTimeMs } from './reading-time.js';

const RX = 1_763_798_400_000;
const HOUR = 3_600_000;

t.test('device time when plausible, else the gateway receive time', async (t) => {
  t.equal(readingTimeMs({ ts: RX - 20, rxTs: RX }), RX - 20, 'a synced clock');
  t.equal(readingTimeMs({ ts: RX - 30_000, rxTs: RX }), RX - 30_000, 'a reading the kit buffered 30 s');
  t.equal(readingTimeMs({ ts: null, rxTs: RX }), RX, 'no clock');
  t.equal(readingTimeMs({ ts: RX + 3 * HOUR, rxTs: RX }), RX, 'a clock 3 h fast');
  t.equal(readingTimeMs({ ts: RX - 5 * HOUR, rxTs: RX }), RX, 'a clock 5 h slow');
  t.equal(readingTimeMs({ ts: RX + MAX_DEVICE_LEAD_MS, rxTs: RX }), RX + MAX_DEVICE_LEAD_MS, 'the lead limit is plausible');
  t.equal(readingTimeMs({ ts: RX - MAX_DEVICE_LAG_MS, rxTs: RX }), RX - MAX_DEVICE_LAG_MS, 'the lag limit is plausible');
});

t.test('the InfluxDB point of a record with a wrong clock is stable (a replay overwrites itself)', async (t) => {
  const r = { ts: RX + 3 * HOUR, rxTs: RX, boot: 2, seq: 7 };
  t.equal(pointTimeNs(r), pointTimeNs({ ...r }));
  t.equal(pointTimeNs(r), BigInt(RX) * 1_000_000n + 2007n);
});
