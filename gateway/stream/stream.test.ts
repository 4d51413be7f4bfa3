import t from 'tap';
import { openSse, type SseClient } from '../../shared/stream/sse-client.js';
import type { SseMessage } from '../../shared/stream/sse-parse.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { startGateway } from '../testing/fixture.js';

/**
 * GET /v1/stream on a real gateway: a kit publishes over MQTT/TLS, the reading is committed to
 * SQLite, and it arrives on the stream; Last-Event-ID resumes without loss or duplicates.
 */
const readings = (c: SseClient) => c.messages.filter((m) => m.event === 'reading').map((m) => JSON.parse(m.data) as { seq: number });

t.test('gateway stream: 401 without the token, a reading arrives, Last-Event-ID resumes exactly', async (t) => {
  const gw = await startGateway(t, { 'stream.readingIntervalMs': 0, 'stream.flushMs': 0, 'stream.heartbeatMs': 1000 });
  const secret = await gw.addKit('kit-sse');
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const url = `http://127.0.0.1:${gw.httpPort}/v1/stream`;
  const auth = { authorization: `Bearer ${token}` };

  const anon = await fetch(url);
  t.equal(anon.status, 401, 'no credentials: 401');
  t.match(await anon.json(), { error: { code: 'SV_ERR_UNAUTHORIZED' } });
  const wrong = await fetch(url, { headers: { authorization: 'Bearer svo_not-the-token-000000' } });
  t.equal(wrong.status, 401, 'a wrong token: 401');

  const kit = await gw.connect({ clientId: 'kit-sse', username: 'kit-sse', password: secret });
  t.teardown(() => kit.end(true));
  const publish = (seq: number, tempC: number) =>
    new Promise<void>((resolve, reject) =>
      kit.publish(
        'sv/kit-sse/telemetry',
        JSON.stringify({ v: 1, boot: 1, seq, ts: Date.now(), tempC, sensor: 'ok', heater: false, rssi: -50 }),
        { qos: 1 },
        (err) => (err ? reject(err) : resolve()),
      ),
    );

  const a = openSse(url, auth);
  const b = openSse(url, auth); // stays connected throughout: the reference
  t.teardown(() => b.close());
  t.equal(await a.status, 200);
  await a.next((m) => m.event === 'ready');
  await b.next((m) => m.event === 'ready');
  await publish(1, 55.5);
  const first = await a.next((m) => m.event === 'reading');
  t.match(
    JSON.parse(first.data),
    { deviceId: 'kit-sse', seq: 1, tempC: 55.5, sensor: 'ok', heater: false, boot: 1 },
    'the reading, as committed',
  );
  t.ok(first.hasId && first.lastEventId !== '', 'it has an id');
  const stored = gw.db().prepare("SELECT temp_c FROM telemetry WHERE device_id = 'kit-sse' AND seq = 1").get() as { temp_c: number };
  t.equal(stored.temp_c, 55.5, 'committed before it was streamed');

  a.close();
  await a.closed;
  for (let seq = 2; seq <= 5; seq++) await publish(seq, 55 + seq / 10);
  await b.next((m) => m.event === 'reading' && JSON.parse(m.data).seq === 5);

  const resumed = openSse(url, { ...auth, 'last-event-id': first.lastEventId });
  t.teardown(() => resumed.close());
  await resumed.next((m) => m.event === 'ready');
  t.same(
    readings(resumed).map((r) => r.seq),
    [2, 3, 4, 5],
    'replays exactly what it missed, oldest first',
  );
  await publish(6, 56.6);
  await resumed.next((m) => m.event === 'reading' && JSON.parse(m.data).seq === 6);
  await b.next((m) => m.event === 'reading' && JSON.parse(m.data).seq === 6);
  const seen = [...readings(a), ...readings(resumed)].map((r) => r.seq);
  t.same(seen, [1, 2, 3, 4, 5, 6], 'no loss, no duplicates across the reconnect');
  t.same(
    readings(b).map((r) => r.seq),
    [1, 2, 3, 4, 5, 6],
    'the same as a stream that never broke',
  );
  const ids = [...a.messages, ...resumed.messages].filter((m: SseMessage) => m.event === 'reading').map((m) => m.lastEventId);
  t.equal(new Set(ids).size, ids.length, 'every id once');

  const stale = openSse(url, { ...auth, 'last-event-id': 'deadbeef-1' });
  t.teardown(() => stale.close());
  const reset = await stale.next((m) => m.event === 'reset' || m.event === 'ready');
  t.equal(reset.event, 'reset', 'an id this gateway does not hold: reset');
  await new Promise((r) => setTimeout(r, 1_500));
  t.ok(b.parser.comments > 0, 'heartbeat comments keep an idle stream open');
});

t.test('gateway stream ?devices=: its kit only, replay through the filter; a bad value is a 400 naming the field', async (t) => {
  const gw = await startGateway(t, { 'stream.readingIntervalMs': 0, 'stream.flushMs': 0 });
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const url = `http://127.0.0.1:${gw.httpPort}/v1/stream`;
  const auth = { authorization: `Bearer ${token}` };
  const kits = await Promise.all(
    ['kit-mine', 'kit-other'].map(async (id) => {
      const kit = await gw.connect({ clientId: id, username: id, password: await gw.addKit(id) });
      t.teardown(() => kit.end(true));
      return (seq: number) =>
        new Promise<void>((resolve, reject) =>
          kit.publish(
            `sv/${id}/telemetry`,
            JSON.stringify({ v: 1, boot: 1, seq, ts: Date.now(), tempC: 50 + seq, sensor: 'ok', heater: false, rssi: -50 }),
            { qos: 1 },
            (err) => (err ? reject(err) : resolve()),
          ),
        );
    }),
  );
  const [mine, other] = kits as [(seq: number) => Promise<void>, (seq: number) => Promise<void>];

  for (const [query, detail] of [
    ['devices=kit-mine,Not_A_Kit', 'query.devices.1: must match'],
    ['devices=', 'query.devices.0: must match'],
    [`devices=${Array.from({ length: 101 }, (_, i) => `kit-${i}`).join(',')}`, 'query.devices: at most 100 device ids'],
    ['device=kit-mine', 'query.device: unknown field'],
  ] as const) {
    const r = await fetch(`${url}?${query}`, { headers: auth });
    t.equal(r.status, 400, `?${query.slice(0, 30)}: 400`);
    const body = (await r.json()) as { error: { code: string; details: string[] } };
    t.equal(body.error.code, 'SV_ERR_VALIDATION');
    t.match(body.error.details[0], detail, 'names the field');
  }

  const one = openSse(`${url}?devices=kit-mine,kit-mine`, auth);
  const fleet = openSse(url, auth);
  t.teardown(() => {
    one.close();
    fleet.close();
  });
  t.equal(await one.status, 200);
  await one.next((m) => m.event === 'ready');
  await fleet.next((m) => m.event === 'ready');
  await other(1);
  await mine(1);
  await other(2);
  await mine(2);
  await fleet.next((m) => m.event === 'reading' && JSON.parse(m.data).deviceId === 'kit-mine' && JSON.parse(m.data).seq === 2);
  await one.next((m) => m.event === 'reading' && JSON.parse(m.data).seq === 2);
  const ofKit = (c: SseClient) => c.messages.filter((m) => m.event === 'reading').map((m) => JSON.parse(m.data).deviceId as string);
  t.same(ofKit(one), ['kit-mine', 'kit-mine'], "devices=kit-mine: its readings, none of the other kit's");
  t.same(ofKit(fleet).sort(), ['kit-mine', 'kit-mine', 'kit-other', 'kit-other'], 'the fleet stream: both kits');

  const first = one.messages.find((m) => m.event === 'reading')?.lastEventId as string;
  const resumed = openSse(`${url}?devices=kit-mine`, { ...auth, 'last-event-id': first });
  t.teardown(() => resumed.close());
  await resumed.next((m) => m.event === 'ready');
  t.same(
    readings(resumed).map((r) => r.seq),
    [2],
    "resumed: the kit's reading it missed, not the other kit's",
  );
  t.match(await gw.metrics(), /^stream_readings_conflated_total 0$/m, 'the stream counters are on /metrics');
  t.match(await gw.metrics(), /^stream_clients 3$/m);
});
