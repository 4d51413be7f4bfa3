import t from 'tap';
import { startGateway } from '../testing/fixture.js';
import { issueOperatorToken, tokenFilePath } from './operator-token.js';

/** The local API's events and audit take `?from=&to=` by the one range rule (shared/api/range.ts), as /v1/cooks does. */
t.test('events and audit refuse from after to with a 400 naming the query', async (t) => {
  const gw = await startGateway(t);
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const get = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: r.status, body: (await r.json()) as { items?: unknown[]; error?: { details: string[] } } };
  };
  const now = Date.now();
  for (const path of ['/v1/events', '/v1/audit', '/v1/cooks']) {
    const back = await get(`${path}?from=${now}&to=${now - 3_600_000}`);
    t.equal(back.status, 400, `${path}: from after to`);
    t.same(back.body.error?.details, ['query.from: must be before query.to'], `${path}: names the query`);
    const ok = await get(`${path}?from=${now - 3_600_000}&to=${now}`);
    t.equal(ok.status, 200, `${path}: a forward range`);
    t.ok(Array.isArray(ok.body.items), `${path}: a page`);
  }
});

t.test('a bad epoch in the query reads the same on every route: not a number, empty, or given twice', async (t) => {
  const gw = await startGateway(t);
  await gw.addKit('kit-x');
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const details = async (path: string, method = 'GET') => {
    const r = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    t.equal(r.status, 400, path);
    return ((await r.json()) as { error?: { details: string[] } }).error?.details;
  };
  for (const path of ['/v1/events', '/v1/audit', '/v1/cooks', '/v1/devices/kit-x/readings.csv', '/v1/devices/kit-x/telemetry']) {
    t.same(await details(`${path}?from=yesterday`), ['query.from: must be a non-negative integer'], `${path}: not a number`);
    t.same(await details(`${path}?from=`), ['query.from: must be a non-negative integer'], `${path}: empty (not 0)`);
    t.same(await details(`${path}?from=0&from=5`), ['query.from: given more than once'], `${path}: twice`);
  }
  t.same(await details('/v1/alarms?limit=many'), ['query.limit: must be a non-negative integer'], 'alarms: limit');
  t.same(await details('/v1/dead-letters?before=soon', 'DELETE'), ['query.before: must be a non-negative integer'], 'dead letters: before');
});
