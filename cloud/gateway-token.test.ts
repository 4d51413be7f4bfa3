import t from 'tap';
import { createApiKey } from './admin.js';
import { batch, T0, telemetry, uid } from './testing/fixtures.js';
import { api, credentials, startCloud, tenant, testConfig } from './testing/servers.js';

/**
 * Rotating a gateway's token in place (POST /v1/gateways/{id}/token): the new token works at once,
 * the old one until its grace ends (the cloud's clock is the test's), and at once not at all with
 * graceS 0, even where it was cached a moment before. Readings sent with either token are stored
 * once. Another org cannot rotate it; a bad graceS is 400 naming the field; the token is never in
 * the log or the audit row.
 */
let clock = Date.now();
const c = await startCloud(t, testConfig(t, undefined, 'gwtoken', { 'auth.cacheTtlMs': 300_000 }), { now: () => clock });
const A = await credentials(c);
const B = await tenant(c);
const gw = A.gateway.id;
const dev = uid('kit').toLowerCase();
let seq = 0;
const send = (token: string) => api(c.base, 'POST', '/v1/ingest', token, batch([telemetry(dev, 1, ++seq)]));
const rotate = (key: string, body?: unknown, id = gw) => api(c.base, 'POST', `/v1/gateways/${id}/token`, key, body);
const storedSeqs = async () => {
  const res = await api(c.base, 'GET', `/v1/devices/${dev}/readings.csv?from=${T0}&to=${T0 + 3_600_000}`, A.viewer);
  if (res.status !== 200) throw new Error(`readings.csv: ${res.status}`);
  return String(res.body)
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => Number(l.split(',')[3]));
};

t.test('the old token is accepted through its grace, then refused; the new one at once', async (t) => {
  t.equal((await send(A.gateway.token)).status, 200, 'the first token works (and is now cached)');
  const r = await rotate(A.admin, { graceS: 600 });
  t.equal(r.status, 200);
  t.equal(r.body.id, gw);
  t.match(r.body.token, /^svg_/);
  t.not(r.body.token, A.gateway.token, 'a new token');
  t.equal(r.body.previousTokenUntilMs, clock + 600_000, 'the old one is accepted for 600 s');
  const fresh = r.body.token as string;

  t.equal((await send(fresh)).status, 200, 'the new token works at once');
  t.equal((await send(A.gateway.token)).status, 200, 'the old one still works in its grace');
  const listed = await api(c.base, 'GET', '/v1/gateways', A.viewer);
  t.equal(
    listed.body.items.find((g: { id: string }) => g.id === gw)?.previousTokenUntilMs,
    clock + 600_000,
    'the list shows until when the old token is accepted',
  );

  clock += 599_000;
  t.equal((await send(A.gateway.token)).status, 200, 'one second before the end: still accepted (never cached)');
  clock += 2_000;
  const late = await send(A.gateway.token);
  t.equal(late.status, 401, 'after the grace: refused');
  t.equal((await send(fresh)).status, 200, 'the new token goes on working');
  t.same(await storedSeqs(), [1, 2, 3, 4, 6], 'every accepted reading is stored once, the refused one not');
  A.gateway.token = fresh;
});

t.test('graceS 0 refuses the old token at once, even where it was cached', async (t) => {
  t.equal((await send(A.gateway.token)).status, 200, 'cached a moment ago');
  const r = await rotate(A.admin, { graceS: 0 });
  t.equal(r.status, 200);
  t.equal(r.body.previousTokenUntilMs, null);
  t.equal((await send(A.gateway.token)).status, 401, 'the old token is refused at once');
  t.equal((await send(r.body.token)).status, 200);
  A.gateway.token = r.body.token;
});

t.test('a second rotation in a grace drops the first predecessor; no body means the default grace', async (t) => {
  const first = A.gateway.token;
  const one = await rotate(A.admin);
  t.equal(one.status, 200);
  t.equal(one.body.previousTokenUntilMs, clock + 3_600_000, 'the default grace is an hour');
  const two = await rotate(A.admin, { graceS: 60 });
  t.equal((await send(first)).status, 401, 'the token before last is refused');
  t.equal((await send(one.body.token)).status, 200, 'the last one is in its grace');
  t.equal((await send(two.body.token)).status, 200);
  A.gateway.token = two.body.token;
});

t.test('only an admin of the org rotates; another org gets 404 and changes nothing', async (t) => {
  t.equal((await rotate(A.operator, {})).status, 403, 'an operator may not');
  t.equal((await rotate(A.viewer, {})).status, 403, 'a viewer may not');
  const limited = await createApiKey(c.cloud.stores.meta, { role: 'admin', owner: 'site', orgId: A.orgId, gatewayId: gw }, Date.now());
  const own = await rotate(limited.key, { graceS: 0 });
  t.equal(own.status, 403, "an admin key limited to the gateway may not mint the gateway's identity");
  t.same(own.body.error.details, ['key: limited to one gateway']);
  const other = await rotate(B.admin, { graceS: 0 });
  t.equal(other.status, 404, "org B's admin does not see A's gateway");
  t.equal((await send(A.gateway.token)).status, 200, "A's token still works");
  t.equal((await rotate(A.admin, {}, B.gateway.id)).status, 404, "nor A B's");
  t.equal((await api(c.base, 'POST', '/v1/ingest', B.gateway.token, batch([]))).status, 200, "B's token still works");
});

t.test('a bad graceS is 400 naming the field; a revoked gateway cannot be rotated', async (t) => {
  for (const body of [{ graceS: -1 }, { graceS: 1.5 }, { graceS: '60' }, { graceS: 7 * 86_400 + 1 }, { grace: 60 }]) {
    const r = await rotate(A.admin, body);
    t.equal(r.status, 400, JSON.stringify(body));
    t.match(r.body.error.details, [/^body\.graceS?: /], `${JSON.stringify(body)}: ${r.body.error.details}`);
  }
  t.equal((await send(A.gateway.token)).status, 200, 'nothing was rotated by a refused request');
  const doomed = await credentials(c, A.orgId);
  t.equal((await api(c.base, 'DELETE', `/v1/gateways/${doomed.gateway.id}`, A.admin)).status, 204);
  t.equal((await rotate(A.admin, {}, doomed.gateway.id)).status, 404, 'revoked: 404');
  t.equal((await send(doomed.gateway.token)).status, 401, 'and it stays revoked');
});

t.test('the rotation is audited, and no token is in the audit or the log', async (t) => {
  const audit = await api(c.base, 'GET', '/v1/audit?limit=200', A.admin);
  const rows = audit.body.items.filter((a: { action: string }) => a.action === 'gateway.token.rotate');
  t.equal(rows.length, 4, 'one row for each rotation');
  t.match(rows[0].data, { gatewayId: gw });
  const text = JSON.stringify(audit.body) + c.logs.join('\n');
  t.notOk(text.includes(A.gateway.token), 'the current token is nowhere');
  t.notOk(/svg_[A-Za-z0-9_-]{20,}/.test(text), 'nor any other');
});
