import t from 'tap';
import { alarm, audit, batch, event, registry, T0, uid } from './testing/fixtures.js';
import { api, startCloud, tenant, testConfig } from './testing/servers.js';

/**
 * `?from=&to=` on the list routes (events, audit, alarms) follows the one range rule of the API
 * (shared/api/range.ts), as /telemetry, readings.csv and /v1/cooks do: from after to is a 400
 * naming the query, not an empty page; a range around the records lists them.
 */
t.test('events, audit and alarms refuse a backwards range and list within a forward one', async (t) => {
  const c = await startCloud(t, testConfig(t, undefined, 'range'));
  const A = await tenant(c);
  const kit = uid('kit').toLowerCase();
  const r = await api(
    c.base,
    'POST',
    '/v1/ingest',
    A.gateway.token,
    batch([registry([kit]), event(kit, { ts: T0, type: 'reached' }), audit(kit, { ts: T0 }), alarm(kit, { raisedAt: T0 })]),
  );
  t.equal(r.status, 200, JSON.stringify(r.body));

  for (const path of ['/v1/events', '/v1/audit', '/v1/alarms']) {
    const ok = await api(c.base, 'GET', `${path}?from=${T0 - 1000}&to=${T0 + 1000}`, A.admin);
    t.equal(ok.status, 200, `${path}: a forward range`);
    t.ok(ok.body.items.length >= 1, `${path}: lists the record in it`);

    const back = await api(c.base, 'GET', `${path}?from=${T0 + 1000}&to=${T0 - 1000}`, A.admin);
    t.equal(back.status, 400, `${path}: from after to`);
    t.same(back.body.error.details, ['query.from: must be before query.to'], `${path}: names the query`);

    const empty = await api(c.base, 'GET', `${path}?from=${T0}&to=${T0}`, A.admin);
    t.equal(empty.status, 400, `${path}: from equal to to`);

    t.equal((await api(c.base, 'GET', `${path}?from=${T0 - 1000}`, A.admin)).status, 200, `${path}: one bound is open`);
  }
});
