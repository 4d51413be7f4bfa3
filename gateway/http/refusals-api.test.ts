import { PassThrough } from 'node:stream';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import { createLogger } from '../../shared/log.js';
import { STORE_FILE } from '../store/open.js';
import { counter, startGateway, telemetry } from '../testing/fixture.js';
import { issueOperatorToken, tokenFilePath } from './operator-token.js';

/** What the gateway refused is visible: through the local API, in the log, and replayable. */
t.test('dead letters and security events: listed with reason and time, filtered, paged, replayed, purged; refusals logged', async (t) => {
  const logs = new PassThrough();
  let logText = '';
  logs.on('data', (d) => (logText += d));
  const gw = await startGateway(
    t,
    { 'mqtt.publishRatePerDevice': 0 },
    {},
    createLogger({ name: 'gw', level: 'info', destination: logs, pretty: false }),
  );
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const api = async (method: string, path: string, auth = token) => {
    const r = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, { method, headers: { authorization: `Bearer ${auth}` } });
    // biome-ignore lint/suspicious/noExplicitAny: the test reads the JSON it asserts on
    return { status: r.status, headers: r.headers, body: (await r.json()) as Record<string, any> };
  };
  const secretA = await gw.addKit('kit-a');
  const secretB = await gw.addKit('kit-b');
  const a = await gw.connect({ clientId: 'kit-a', username: 'kit-a', password: secretA });
  const b = await gw.connect({ clientId: 'kit-b', username: 'kit-b', password: secretB });
  t.teardown(() => {
    a.end(true);
    b.end(true);
  });
  // A duplicate key: the first value was 200 °C, the last 50 °C.
  const dup = '{"v":1,"boot":1,"seq":1,"ts":null,"tempC":200,"sensor":"ok","heater":false,"tempC":50}';
  await a.publishAsync('sv/kit-a/telemetry', dup, { qos: 1 });
  for (let seq = 2; seq < 7; seq++) await a.publishAsync('sv/kit-a/telemetry', telemetry({ seq, humidity: 40 }), { qos: 1 });
  await b.publishAsync('sv/kit-b/telemetry', telemetry({ seq: 1, tempC: 'hot' }), { qos: 1 });
  await a.publishAsync('sv/kit-a/telemetry', telemetry({ seq: 9, tempC: 55 }), { qos: 1 });
  // A wrong secret: a security event.
  await gw.connect({ clientId: 'kit-b', username: 'kit-b', password: 'svk_wrong-secret-000000000' }).catch(() => {});
  await new Promise((r) => setTimeout(r, 300));

  const all = await api('GET', '/v1/dead-letters');
  t.equal(all.status, 200);
  t.equal(all.body.items.length, 7, 'every refused payload is listed');
  const first = all.body.items[all.body.items.length - 1];
  t.match(first, { deviceId: 'kit-a', topic: 'sv/kit-a/telemetry', code: 'SV_ERR_PAYLOAD_DUPLICATE_KEY', payload: dup });
  t.match(first.reason, /tempC: duplicate_key/, 'the reason names the key');
  t.type(first.rxTs, 'number');
  const stored = gw.db().prepare("SELECT temp_c FROM telemetry WHERE device_id = 'kit-a' AND seq = 1").all();
  t.same(stored, [], 'the message with a duplicate key was not stored');
  const onlyB = await api('GET', '/v1/dead-letters?device=kit-b');
  t.same(
    onlyB.body.items.map((i: { deviceId: string; reason: string }) => [i.deviceId, /tempC/.test(i.reason)]),
    [['kit-b', true]],
    'filtered by device',
  );
  const page1 = await api('GET', '/v1/dead-letters?limit=4');
  t.equal(page1.body.items.length, 4);
  t.type(page1.body.nextCursor, 'string', 'a next cursor');
  const page2 = await api('GET', `/v1/dead-letters?limit=4&cursor=${page1.body.nextCursor}`);
  t.equal(page2.body.items.length, 3, 'the cursor pages through the rest');
  t.equal(page2.body.nextCursor, null, 'the last page has no cursor');
  t.equal(new Set([...page1.body.items, ...page2.body.items].map((i: { id: number }) => i.id)).size, 7, 'no row twice');
  const bad = await api('GET', '/v1/dead-letters?limit=zero');
  t.equal(bad.status, 400);
  t.match(bad.body.error.details.join(' '), /query\.limit/, 'a bad query names the field');

  const sec = await api('GET', '/v1/security-events?device=kit-b');
  t.equal(sec.status, 200);
  t.ok(sec.body.items.length >= 1, 'the failed authentication is listed');
  t.match(sec.body.items[0], { deviceId: 'kit-b', kind: /auth/ });
  t.type(sec.body.items[0].ts, 'number');

  // One info line per refusal, rate-limited per device: kit-a's six refusals within a second → one line.
  const lines = logText.split('\n').filter((l) => l.includes('payload refused'));
  t.equal(lines.filter((l) => l.includes('"deviceId":"kit-a"')).length, 1, 'kit-a: one line for six refusals');
  t.equal(lines.filter((l) => l.includes('"deviceId":"kit-b"')).length, 1, 'kit-b: its own line');
  t.match(logText, /"msg":"refused: auth/, 'a failed authentication is logged too');

  // Replay: still invalid under today's schema → refused again, kept.
  const still = await api('POST', `/v1/dead-letters/${first.id}/replay`);
  t.equal(still.status, 400);
  t.match(still.body.error.message, /still refused by today's schema: tempC: duplicate_key/);
  // A dead letter that today's schema accepts (as from an older, stricter gateway): replayed once.
  const w = new Sqlite(`${gw.dataDir}/${STORE_FILE}`);
  w.pragma('busy_timeout = 5000');
  const payload = Buffer.from(telemetry({ boot: 4, seq: 77, tempC: 61.5 }));
  const { lastInsertRowid } = w
    .prepare('INSERT INTO dead_letters (rx_ts, device_id, topic, code, reason, payload) VALUES (?, ?, ?, ?, ?, ?)')
    .run(Date.now(), 'kit-a', 'sv/kit-a/telemetry', 'SV_ERR_PAYLOAD_INVALID', 'an older rule', payload);
  w.close();
  const replayed = await api('POST', `/v1/dead-letters/${lastInsertRowid}/replay`);
  t.equal(replayed.status, 200, JSON.stringify(replayed.body));
  t.same(
    gw.db().prepare("SELECT temp_c FROM telemetry WHERE device_id = 'kit-a' AND boot = 4 AND seq = 77").all(),
    [{ temp_c: 61.5 }],
    'the replayed reading is stored exactly once',
  );
  t.equal((await api('POST', `/v1/dead-letters/${lastInsertRowid}/replay`)).status, 404, 'and is no longer a dead letter');

  // Purge one device's dead letters; the other's stay.
  const purged = await api('DELETE', '/v1/dead-letters?device=kit-a');
  t.same(purged.body, { purged: 6 });
  t.same(
    (await api('GET', '/v1/dead-letters')).body.items.map((i: { deviceId: string }) => i.deviceId),
    ['kit-b'],
  );
  t.equal((await api('DELETE', '/v1/dead-letters/999999')).status, 404);
  t.ok(counter(await gw.metrics(), 'parse_fail_total') >= 7);
});

t.test('the local API limits failed authentications per address: 429 with Retry-After, never for a correct token', async (t) => {
  const gw = await startGateway(t, { 'http.authFailuresPerMin': 5 });
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const get = (auth: string) => fetch(`http://127.0.0.1:${gw.httpPort}/v1/devices`, { headers: { authorization: `Bearer ${auth}` } });
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await get(`svo_wrong-${i}`)).status);
  t.same(statuses, [401, 401, 401, 401, 401, 429, 429, 429], 'five failures, then 429');
  const limited = await get('svo_wrong-again');
  t.equal(limited.status, 429);
  const retry = Number(limited.headers.get('retry-after'));
  t.ok(retry >= 1 && retry <= 60, `Retry-After ${retry} s`);
  t.match(((await limited.json()) as { error: { code: string } }).error.code, 'SV_ERR_AUTH_BANNED');
  t.equal((await get(token)).status, 200, 'the correct token from the same address still works');
  t.equal((await fetch(`http://127.0.0.1:${gw.httpPort}/v1/dead-letters`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
});

t.test('a route that takes no body refuses one, naming each field, and deletes nothing', async (t) => {
  const gw = await startGateway(t);
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const api = async (method: string, path: string, body?: string) => {
    const r = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
    });
    const text = await r.text();
    // biome-ignore lint/suspicious/noExplicitAny: the test reads the JSON it asserts on
    return { status: r.status, body: (text === '' ? undefined : JSON.parse(text)) as Record<string, any> };
  };
  await gw.addKit('kit-3');
  const w = new Sqlite(`${gw.dataDir}/${STORE_FILE}`);
  w.pragma('busy_timeout = 5000');
  const insert = w.prepare('INSERT INTO dead_letters (rx_ts, device_id, topic, code, reason, payload) VALUES (?, ?, ?, ?, ?, ?)');
  for (let i = 0; i < 3; i++) insert.run(Date.now(), 'kit-3', 'sv/kit-3/telemetry', 'SV_ERR_PAYLOAD_INVALID', 'bad', Buffer.from('{}'));
  w.close();
  const ids = async () => (await api('GET', '/v1/dead-letters')).body.items.map((i: { id: number }) => i.id) as number[];
  const three = await ids();
  t.equal(three.length, 3);

  const purge = await api('DELETE', '/v1/dead-letters', '{"device":"kit-9"}');
  t.same(
    [purge.status, purge.body.error.code, purge.body.error.details],
    [400, 'SV_ERR_VALIDATION', ['body.device: unknown field (filters go in the query)']],
  );
  t.same(await ids(), three, 'all three dead letters are still there');
  const one = await api('DELETE', `/v1/dead-letters/${three[0]}`, '{"force":true}');
  t.same([one.status, one.body.error.details], [400, ['body.force: unknown field (this request takes no body)']]);
  const replay = await api('POST', `/v1/dead-letters/${three[0]}/replay`, '[1]');
  t.same([replay.status, replay.body.error.details], [400, ['body: must be empty (this request takes no body)']]);
  t.same(await ids(), three, 'still all three');

  const preset = { targetC: 63, durationMin: 75, food: 'chicken thighs', foodKind: 'poultry', foodShape: 'cylinder', thicknessMm: 35 };
  t.equal((await api('PUT', '/v1/presets/chicken', JSON.stringify(preset))).status, 200);
  const del = await api('DELETE', '/v1/presets/chicken', '{"x":1}');
  t.same([del.status, del.body.error.details], [400, ['body.x: unknown field (this request takes no body)']]);
  t.match((await api('GET', '/v1/presets')).body.items, [{ name: 'chicken' }], 'the preset is still there');

  t.equal((await api('DELETE', '/v1/presets/chicken', '{}')).status, 204, 'an empty object is no body');
  t.same((await api('DELETE', '/v1/dead-letters?device=kit-3')).body, { purged: 3 }, 'no body: the query filters');
});
