import t from 'tap';
import { openSse } from '../../shared/stream/sse-client.js';
import { waitFor } from '../../test/harness/index.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { startGateway, telemetry } from '../testing/fixture.js';

/**
 * The alarm lifecycle on a real gateway (ADR 035): a kit's bath goes over the limit (the watchdog's
 * over_temp, critical) → an open alarm; the operator acknowledges it over the local API (the first
 * acknowledgement stays); the water cools (over_temp_cleared) → cleared. Each step is audited and
 * queued for the cloud in the same commit; bad input is a 400 naming the field.
 */
t.test('raise → acknowledge → clear over the local API, audited and queued for the cloud', async (t) => {
  // A cloud URL nobody answers: the relay is on, so the outbox keeps what would go up.
  let ahead = 0; // the control clock runs ahead of the wall clock by this much
  const gw = await startGateway(
    t,
    { 'cloud.url': 'http://127.0.0.1:9', 'cloud.token': 'svg_unreachable-cloud-token-0000' },
    { now: () => Date.now() + ahead },
  );
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  // A live view: the stream carries each step as an `alarmState` message.
  const live = openSse(`http://127.0.0.1:${gw.httpPort}/v1/stream`, { authorization: `Bearer ${token}` });
  t.teardown(() => live.close());
  await live.next((m) => m.event === 'ready');
  const changes: string[] = [];
  gw.gateway.alarms.on('change', (x) => changes.push(`${x.type}:${x.acknowledgedAt !== null}:${x.clearedAt !== null}`));
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON
    return { status: res.status, body: (await res.json()) as any };
  };
  const secret = await gw.addKit('kit-al');
  let seq = 0;
  const send = async (tempC: number) => {
    const kit = await gw.connect({ clientId: 'kit-al', username: 'kit-al', password: secret });
    for (let i = 0; i < 3; i++) await kit.publishAsync('sv/kit-al/telemetry', telemetry({ seq: seq++, tempC, heater: false }), { qos: 1 });
    await kit.endAsync();
  };

  t.same((await call('GET', '/v1/alarms')).body, { items: [], nextCursor: null }, 'no alarm yet');
  await send(97);
  const open = await waitFor('the over-temperature alarm', async () => {
    const r = await call('GET', '/v1/alarms?state=open');
    return r.body.items.length > 0 ? r.body.items.filter((x: { type: string }) => x.type === 'over_temp') : undefined;
  });
  t.equal(open.length, 1, 'one alarm, however many readings are over the limit');
  const a = open[0];
  t.match(a, { deviceId: 'kit-al', type: 'over_temp', severity: 'critical', state: 'open', acknowledgedAt: null, clearedAt: null });
  t.match(a.text, /The water is too hot \(97\.0 °C/, 'plain language');
  const ev = gw.db().prepare("SELECT id, ts FROM events WHERE type = 'over_temp'").get() as { id: string; ts: number };
  t.same([a.id, a.raisedAt], [ev.id, ev.ts], 'the alarm is the event that raised it');

  // Bad input: a 400 naming the field; unknown alarm: 404; no token: 401.
  const long = await call('POST', `/v1/alarms/${a.id}/ack`, { note: 'x'.repeat(501) });
  t.equal(long.status, 400);
  t.equal(long.body.error.code, 'SV_ERR_VALIDATION');
  t.match(long.body.error.details, [/^body\.note: /]);
  t.same((await call('POST', `/v1/alarms/${a.id}/ack`, { by: 'me' })).body.error.details, ['body.by: unknown field']);
  t.match((await call('POST', `/v1/alarms/${a.id}/ack`, '{"note":')).status, 400, 'broken JSON');
  t.match((await call('POST', '/v1/alarms/no%20such/ack', {})).body.error.details, [/^params\.id: /]);
  t.match((await call('GET', '/v1/alarms?state=gone')).body.error.details, [/^query\.state: /]);
  t.match((await call('GET', '/v1/alarms?cursor=zzz')).body.error.details, [/^query\.cursor: /]);
  const missing = await call('POST', '/v1/alarms/ev-nosuchalarm/ack', {});
  t.equal(missing.status, 404);
  t.equal(missing.body.error.code, 'SV_ERR_NOT_FOUND');
  t.equal((await fetch(`http://127.0.0.1:${gw.httpPort}/v1/alarms/${a.id}/ack`, { method: 'POST' })).status, 401);
  t.equal((await call('GET', `/v1/alarms/${a.id}`)).status, 404, 'no such route');

  const acked = await call('POST', `/v1/alarms/${a.id}/ack`, { note: 'lid off, cooling' });
  t.equal(acked.status, 200);
  t.match(acked.body, { id: a.id, state: 'acknowledged', acknowledgedBy: 'operator', note: 'lid off, cooling' });
  const again = await call('POST', `/v1/alarms/${a.id}/ack`, {});
  t.equal(again.status, 200, 'acknowledging twice is fine');
  t.same([again.body.acknowledgedAt, again.body.note], [acked.body.acknowledgedAt, 'lid off, cooling'], 'the first acknowledgement stays');
  t.same(
    (await call('GET', '/v1/alarms?state=acknowledged&deviceId=kit-al')).body.items.map((x: { id: string }) => x.id),
    [a.id],
  );
  t.equal((await call('GET', '/v1/alarms?deviceId=kit-other')).body.items.length, 0);

  ahead += 20 * 60_000; // the bath had time to cool: not a probe jump
  await send(40);
  const cleared = await waitFor('the alarm cleared', async () => {
    const r = await call('GET', '/v1/alarms?state=cleared&deviceId=kit-al');
    return r.body.items.find((x: { type: string }) => x.type === 'over_temp');
  });
  t.match(cleared, { id: a.id, state: 'cleared', how: 'over_temp_cleared', acknowledgedBy: 'operator', note: 'lid off, cooling' });
  t.ok(cleared.clearedAt >= cleared.raisedAt);
  const late = await call('POST', `/v1/alarms/${a.id}/ack`, {});
  t.equal(late.body.state, 'cleared', 'acknowledging a cleared alarm is fine');

  t.same(
    changes.filter((c) => c.startsWith('over_temp:')),
    ['over_temp:false:false', 'over_temp:true:false', 'over_temp:true:true'],
    'each step emitted once, after its commit (live views)',
  );
  await live.next((m) => m.event === 'alarmState' && JSON.parse(m.data).state === 'cleared');
  const streamed = live.messages
    .filter((m) => m.event === 'alarmState')
    .map((m) => JSON.parse(m.data))
    .filter((x) => x.id === a.id);
  t.same(
    streamed.map((x) => [x.state, x.acknowledgedBy, x.note, x.deviceId]),
    [
      ['open', null, null, 'kit-al'],
      ['acknowledged', 'operator', 'lid off, cooling', 'kit-al'],
      ['cleared', 'operator', 'lid off, cooling', 'kit-al'],
    ],
    'the stream carried each step once, as GET /v1/alarms lists it (the second acknowledgement changed nothing and sent nothing)',
  );
  // Audit: one row per step, with who.
  const audit = gw.db().prepare("SELECT id, action, actor, actor_id FROM audit WHERE action LIKE 'alarm.%' ORDER BY ts, action").all() as {
    id: string;
    action: string;
    actor: string;
    actor_id: string | null;
  }[];
  t.same(
    audit.map((x) => [x.action, x.actor, x.actor_id]),
    [
      ['alarm.raise', 'system', null],
      ['alarm.ack', 'user', 'operator'],
      ['alarm.clear', 'system', null],
    ],
    'raise, acknowledge and clear audited once each',
  );
  // The outbox holds each step for the cloud: the alarm's state after it, and its audit row.
  const out = gw.db().prepare("SELECT record FROM outbox WHERE kind = 'alarm' ORDER BY id").all() as { record: string }[];
  const states = out.map((r) => JSON.parse(r.record) as { id: string; acknowledgedAt: number | null; clearedAt: number | null });
  t.same(
    states.map((s) => [s.id, s.acknowledgedAt !== null, s.clearedAt !== null]),
    [
      [a.id, false, false],
      [a.id, true, false],
      [a.id, true, true],
    ],
  );
  const outAudit = gw.db().prepare("SELECT count(*) AS n FROM outbox WHERE kind = 'audit' AND record LIKE '%\"alarm.%'").get() as {
    n: number;
  };
  t.equal(outAudit.n, 3);

  // A new over-temperature is a new alarm.
  ahead += 20 * 60_000;
  await send(97);
  const second = await waitFor('a second alarm', async () => {
    const r = await call('GET', '/v1/alarms?state=open');
    return r.body.items.find((x: { type: string }) => x.type === 'over_temp');
  });
  t.not(second.id, a.id);
  // Cursor paging, newest raised first, over every alarm of the kit.
  const all = (await call('GET', '/v1/alarms?limit=500')).body.items.map((x: { id: string }) => x.id);
  t.ok(all.indexOf(second.id) < all.indexOf(a.id), 'newest raised first');
  const paged: string[] = [];
  let cursor: string | null = null;
  do {
    const p = await call('GET', `/v1/alarms?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
    paged.push(...p.body.items.map((x: { id: string }) => x.id));
    cursor = p.body.nextCursor;
  } while (cursor && paged.length < 50);
  t.same(paged, all, 'one alarm per page, every alarm once');
});
