import t, { type Test } from 'tap';
import { openSse } from '../shared/stream/sse-client.js';
import { alarm, batch, registry, T0, uid } from './testing/fixtures.js';
import { api, type RunningCloud, startCloud, startServers, tenant, testConfig } from './testing/servers.js';

/**
 * The alarm lifecycle in the cloud (ADR 035), on both back-ends: a gateway relays an alarm, a
 * user acknowledges it (the first acknowledgement stays, audited), the acknowledgement goes down in
 * the gateway's replies until the gateway's report confirms it, the gateway clears it; replays change
 * nothing; bad input is a 400 naming the field; another org's alarm is a 404.
 */
async function lifecycle(t: Test, c: RunningCloud): Promise<void> {
  const A = await tenant(c);
  const B = await tenant(c);
  const kit = uid('kit').toLowerCase();
  const ingest = (records: Parameters<typeof batch>[0]) => api(c.base, 'POST', '/v1/ingest', A.gateway.token, batch(records));
  // Each org's live stream: every step of A's alarms arrives on A's as `alarmState`, none on B's.
  const liveA = openSse(`${c.base}/v1/stream`, { authorization: `Bearer ${A.viewer}` });
  const liveB = openSse(`${c.base}/v1/stream`, { authorization: `Bearer ${B.viewer}` });
  t.teardown(() => {
    liveA.close();
    liveB.close();
  });
  await liveA.next((m) => m.event === 'ready');
  await liveB.next((m) => m.event === 'ready');
  const raised = alarm(kit, { raisedAt: T0 + 1000 });
  const r0 = await ingest([registry([kit]), raised]);
  t.equal(r0.status, 200);
  t.equal(r0.body.accepted, 2);
  t.notOk(r0.body.alarms, 'nothing to send down yet');

  const open = await api(c.base, 'GET', '/v1/alarms?state=open', A.viewer);
  t.equal(open.status, 200);
  t.match(open.body.items, [{ id: raised.id, deviceId: kit, type: 'over_temp', severity: 'critical', state: 'open', raisedAt: T0 + 1000 }]);
  t.match(open.body.items[0].text, /too hot/);
  t.equal(open.body.nextCursor, null);

  // Bad input: a 400 naming the field.
  const long = await api(c.base, 'POST', `/v1/alarms/${raised.id}/ack`, A.operator, { note: 'x'.repeat(501) });
  t.equal(long.status, 400);
  t.match(long.body.error.details, [/^body\.note: /]);
  const extra = await api(c.base, 'POST', `/v1/alarms/${raised.id}/ack`, A.operator, { note: 'ok', by: 'mallory' });
  t.equal(extra.status, 400);
  t.same(extra.body.error.details, ['body.by: unknown field']);
  const badId = await api(c.base, 'POST', '/v1/alarms/bad%20id/ack', A.operator, {});
  t.equal(badId.status, 400);
  t.match(badId.body.error.details, [/^params\.id: /]);
  t.match((await api(c.base, 'GET', '/v1/alarms?state=gone', A.viewer)).body.error.details, [/^query\.state: /]);
  // Another org's alarm, an unknown one, a viewer.
  t.equal((await api(c.base, 'POST', `/v1/alarms/${raised.id}/ack`, B.admin, {})).status, 404, "org B cannot see org A's alarm");
  t.equal((await api(c.base, 'POST', `/v1/alarms/${uid('ev')}/ack`, A.operator, {})).status, 404);
  t.equal((await api(c.base, 'POST', `/v1/alarms/${raised.id}/ack`, A.viewer, {})).status, 403);
  t.equal((await api(c.base, 'GET', '/v1/alarms', B.admin)).body.items.length, 0, "org B lists none of org A's alarms");

  const acked = await api(c.base, 'POST', `/v1/alarms/${raised.id}/ack`, A.operator, { note: 'turned the cooker off' });
  t.equal(acked.status, 200);
  t.match(acked.body, { id: raised.id, state: 'acknowledged', acknowledgedBy: /^oscar \(API key /, note: 'turned the cooker off' });
  t.ok(acked.body.acknowledgedAt > 0);
  const again = await api(c.base, 'POST', `/v1/alarms/${raised.id}/ack`, A.admin, { note: 'me too' });
  t.equal(again.status, 200, 'acknowledging twice is fine');
  t.same(
    [again.body.acknowledgedBy, again.body.acknowledgedAt, again.body.note],
    [acked.body.acknowledgedBy, acked.body.acknowledgedAt, 'turned the cooker off'],
    'the first acknowledgement stays',
  );
  const audit = (await api(c.base, 'GET', '/v1/audit?action=alarm.ack', A.admin)).body.items;
  t.equal(audit.length, 2, 'both attempts audited');
  t.match(audit, [
    { action: 'alarm.ack', deviceId: kit, actor: { type: 'user', id: 'alice' }, data: { alarmId: raised.id, changed: false } },
    { action: 'alarm.ack', deviceId: kit, actor: { type: 'user', id: 'oscar' }, data: { alarmId: raised.id, changed: true } },
  ]);
  t.equal((await api(c.base, 'GET', '/v1/audit?action=alarm.ack', B.admin)).body.items.length, 0, "not in org B's audit");

  // Down: every reply carries it until the gateway's report has the same acknowledgement.
  const down1 = await ingest([]);
  t.match(down1.body.alarms, [{ id: raised.id, acknowledgedBy: acked.body.acknowledgedBy, acknowledgedAt: acked.body.acknowledgedAt }]);
  t.match((await ingest([raised])).body.alarms, [{ id: raised.id }], 'a replay of the raise changes nothing: still waiting');
  const { state: _s, gatewayId: _g, ...cloudState } = acked.body;
  const echo = await ingest([{ kind: 'alarm', ...cloudState }]);
  t.equal(echo.status, 200);
  t.notOk(echo.body.alarms, "the gateway's confirmation ends the resending");
  t.notOk((await ingest([])).body.alarms);
  t.notOk((await ingest([raised])).body.alarms, 'a late replay of the raise does not start it again');

  // The gateway clears it (its report keeps the acknowledgement).
  const cleared = { kind: 'alarm' as const, ...cloudState, clearedAt: T0 + 9000, how: 'over_temp_cleared' };
  t.equal((await ingest([cleared])).body.accepted, 1);
  const dup = await ingest([cleared]);
  t.same([dup.body.accepted, dup.body.duplicates], [0, 1], 'a replayed clear is a duplicate');
  const list = await api(c.base, 'GET', '/v1/alarms?state=cleared', A.viewer);
  t.match(list.body.items, [
    { id: raised.id, state: 'cleared', clearedAt: T0 + 9000, how: 'over_temp_cleared', note: 'turned the cooker off' },
  ]);
  t.equal((await api(c.base, 'GET', '/v1/alarms?state=open', A.viewer)).body.items.length, 0);
  t.equal((await api(c.base, 'GET', '/v1/alarms?state=acknowledged', A.viewer)).body.items.length, 0);
  const late = await api(c.base, 'POST', `/v1/alarms/${raised.id}/ack`, A.operator, {});
  t.equal(late.status, 200, 'acknowledging a cleared alarm is fine');
  t.equal(late.body.state, 'cleared');

  // An alarm acknowledged at the kitchen first: the cloud takes the gateway's acknowledgement, sends nothing down.
  const kitchen = alarm(kit, { raisedAt: T0 + 2000, acknowledgedBy: 'operator', acknowledgedAt: T0 + 3000, note: null });
  await ingest([kitchen]);
  const k = await api(c.base, 'POST', `/v1/alarms/${kitchen.id}/ack`, A.operator, { note: 'late' });
  t.match(k.body, { state: 'acknowledged', acknowledgedBy: 'operator', acknowledgedAt: T0 + 3000, note: null });
  t.notOk((await ingest([])).body.alarms);

  // The stream: each step once, as the cloud merged it; replays, echoes and second acknowledgements sent nothing.
  await liveA.next((m) => m.event === 'alarmState' && JSON.parse(m.data).id === kitchen.id);
  const steps = liveA.messages.filter((m) => m.event === 'alarmState').map((m) => JSON.parse(m.data));
  t.same(
    steps.map((x) => [x.id, x.state, x.acknowledgedBy, x.note, x.gatewayId]),
    [
      [raised.id, 'open', null, null, A.gateway.id],
      [raised.id, 'acknowledged', acked.body.acknowledgedBy, 'turned the cooker off', A.gateway.id],
      [raised.id, 'cleared', acked.body.acknowledgedBy, 'turned the cooker off', A.gateway.id],
      [kitchen.id, 'acknowledged', 'operator', null, A.gateway.id],
    ],
    "org A's stream carried each alarm step once",
  );
  t.equal(liveB.messages.filter((m) => m.event === 'alarmState').length, 0, "org B's stream carried none of them");
  t.notMatch(liveB.messages.map((m) => m.data).join('\n'), raised.id, "nothing of org A's alarm reached org B's stream");

  // Cursor paging, newest raised first; filters of the events-based list still work.
  const p1 = await api(c.base, 'GET', `/v1/alarms?limit=1&device=${kit}`, A.viewer);
  t.same(
    p1.body.items.map((x: { id: string }) => x.id),
    [kitchen.id],
  );
  const p2 = await api(c.base, 'GET', `/v1/alarms?limit=1&deviceId=${kit}&cursor=${p1.body.nextCursor}`, A.viewer);
  t.same(
    p2.body.items.map((x: { id: string }) => x.id),
    [raised.id],
  );
  t.equal(p2.body.nextCursor, null);
  t.equal((await api(c.base, 'GET', `/v1/alarms?gateway=${A.gateway.id}&type=over_temp`, A.viewer)).body.items.length, 2);
  t.equal((await api(c.base, 'GET', `/v1/alarms?from=${T0 + 1500}`, A.viewer)).body.items.length, 1);
  t.equal((await api(c.base, 'GET', '/v1/alarms?cursor=bad', A.viewer)).status, 400);
}

t.test('embedded store', async (t) => lifecycle(t, await startCloud(t, testConfig(t, undefined, 'alarms'))));
t.test('production stores (MariaDB)', async (t) => {
  const servers = await startServers(t);
  await lifecycle(t, await startCloud(t, testConfig(t, servers, 'alarms')));
});
