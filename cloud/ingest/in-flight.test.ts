import { request } from 'node:http';
import { connect } from 'node:net';
import t from 'tap';
import { waitFor } from '../../test/harness/index.js';
import { createGateway } from '../admin.js';
import { DEFAULT_ORG } from '../stores/types.js';
import { batch, T0, telemetry, uid } from '../testing/fixtures.js';
import { pointsOf } from '../testing/read-back.js';
import { api, credentials, startCloud, tenant, testConfig } from '../testing/servers.js';
import { InFlight } from './in-flight.js';

/**
 * Ingest requests in flight are capped per gateway and per org (ADR 074): one org's flood of
 * concurrent batches is answered 429 + Retry-After past its share, and another org's batch is
 * taken as usual. Held open here by uploading a body slowly (a request counts from its verified
 * token), which is what a flood of large batches looks like to the cap.
 */

t.test('the pure count: per gateway, then per org; a refusal counts nothing; leave frees', async (t) => {
  const f = new InFlight({ perGateway: 2, perOrg: 3 });
  t.equal(f.enter('g1', 'a'), null);
  t.equal(f.enter('g1', 'a'), null);
  t.same(f.enter('g1', 'a'), { key: 'ingest.maxInFlightPerGateway', limit: 2 }, "the gateway's third");
  t.equal(f.enter('g2', 'a'), null);
  t.same(f.enter('g2', 'a'), { key: 'ingest.maxInFlightPerOrg', limit: 3 }, "the org's fourth, from a gateway under its own cap");
  t.equal(f.enter('g3', 'b'), null, 'another org is not counted with it');
  t.same([f.count({ gatewayId: 'g1' }), f.count({ gatewayId: 'g2' }), f.count({ orgId: 'a' }), f.count()], [2, 1, 3, 4]);
  f.leave('g1', 'a');
  t.equal(f.enter('g2', 'a'), null, 'a freed place is taken');
  for (const [g, o] of [
    ['g1', 'a'],
    ['g2', 'a'],
    ['g2', 'a'],
    ['g3', 'b'],
  ] as const)
    f.leave(g, o);
  t.equal(f.count(), 0, 'all left: nothing counted');
});

/** A POST /v1/ingest whose body is sent in part: it stays in flight until `finish` or `abort`. */
function heldIngest(base: string, token: string, body: unknown) {
  const text = JSON.stringify(body);
  const url = new URL('/v1/ingest', base);
  let resolveStatus!: (s: number) => void;
  const status = new Promise<number>((r) => {
    resolveStatus = r;
  });
  const req = request(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
  });
  req.on('response', (res) => {
    res.resume();
    res.on('end', () => resolveStatus(res.statusCode ?? 0));
  });
  req.on('error', () => resolveStatus(-1));
  req.flushHeaders();
  req.write(text.slice(0, 10));
  return {
    status,
    finish: () => req.end(text.slice(10)),
    abort: () => req.destroy(),
  };
}

/** Resolves once the cloud counts `n` ingest requests open (its metrics), so that the next one meets the cap. */
function inFlightReaches(base: string, key: string, n: number): Promise<true> {
  return waitFor(
    `${n} ingest requests in flight`,
    async () => {
      const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text();
      return new RegExp(`^ingest_in_flight ${n}$`, 'm').test(text) ? true : undefined;
    },
    30_000,
    20,
  );
}

t.test('through HTTP: past its caps an org gets 429 naming the cap, and another org is served', async (t) => {
  const c = await startCloud(t, testConfig(t, undefined, 'inflight', { 'ingest.maxInFlightPerGateway': 2, 'ingest.maxInFlightPerOrg': 3 }));
  const a = await credentials(c); // org A: the default org (its viewer key reads /metrics)
  const a2 = await createGateway(c.cloud.stores.meta, uid('gw').toLowerCase(), DEFAULT_ORG, Date.now());
  const b = await tenant(c);
  const small = (kit: string, seq: number) => batch([telemetry(kit, 1, seq)]);

  const held = [heldIngest(c.base, a.gateway.token, small('a-kit', 1)), heldIngest(c.base, a.gateway.token, small('a-kit', 2))];
  await inFlightReaches(c.base, a.viewer, 2);
  const third = await api(c.base, 'POST', '/v1/ingest', a.gateway.token, small('a-kit', 3));
  t.equal(third.status, 429, "the gateway's third request at once");
  t.equal(third.headers.get('retry-after'), '1');
  t.equal(third.body.error.code, 'SV_ERR_RATE_LIMITED');
  t.same(third.body.error.details, ['ingest.maxInFlightPerGateway: 2'], 'the error names the cap');

  held.push(heldIngest(c.base, a2.token, small('a-kit2', 1)));
  await inFlightReaches(c.base, a.viewer, 3);
  const fourth = await api(c.base, 'POST', '/v1/ingest', a2.token, small('a-kit2', 2));
  t.equal(fourth.status, 429, "the org's fourth, from its other gateway");
  t.same(fourth.body.error.details, ['ingest.maxInFlightPerOrg: 3']);
  t.match(fourth.body.error.message, /this org's gateways/);

  const other = await api(c.base, 'POST', '/v1/ingest', b.gateway.token, small('b-kit', 7));
  t.equal(other.status, 200, "another org's batch is taken while A holds its share");
  const bPoints = await pointsOf(c.cloud.stores, 'b-kit', T0 - 60_000, T0 + 60_000, b.orgId);
  t.same(
    bPoints.map((p) => [p.boot, p.seq]),
    [[1, 7]],
    "org B's reading is stored",
  );

  held[0]?.finish();
  t.equal(await held[0]?.status, 200, 'a held batch, once uploaded, is ingested');
  held[2]?.abort();
  t.equal(await held[2]?.status, -1);
  await inFlightReaches(c.base, a.viewer, 1);
  t.equal((await api(c.base, 'POST', '/v1/ingest', a2.token, small('a-kit2', 2))).status, 200, 'an aborted upload frees its place');
  t.equal((await api(c.base, 'POST', '/v1/ingest', a.gateway.token, small('a-kit', 3))).status, 200, 'and a finished one its place');
  held[1]?.finish();
  t.equal(await held[1]?.status, 200);
  await inFlightReaches(c.base, a.viewer, 0);

  const aPoints = await pointsOf(c.cloud.stores, 'a-kit', T0 - 60_000, T0 + 60_000);
  t.same(aPoints.map((p) => p.seq).sort(), [1, 2, 3], "org A's refused batch arrived on its retry, once");
  const metrics = await (await fetch(`${c.base}/metrics`, { headers: { authorization: `Bearer ${a.viewer}` } })).text();
  t.match(metrics, /ingest_in_flight_refused_total\{limit="ingest.maxInFlightPerGateway"\} 1/);
  t.match(metrics, /ingest_in_flight_refused_total\{limit="ingest.maxInFlightPerOrg"\} 1/);
});

/** A raw connection (the tests below need what fetch does not do: leave mid-request, pipeline). */
async function rawConnection(base: string) {
  const s = connect(Number(new URL(base).port), '127.0.0.1');
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  return s;
}
const ingestHead = (token: string, length: number) =>
  `POST /v1/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

t.test('a client that leaves while its token is still being checked holds no place', async (t) => {
  const c = await startCloud(t, testConfig(t, undefined, 'inflight-gone', { 'ingest.maxInFlightPerGateway': 2 }));
  const a = await credentials(c);
  // An injected fault: a slow meta store (a busy MySQL pool), so the token check outlasts the client.
  const meta = c.cloud.stores.meta;
  const lookup = meta.gatewayByTokenHash.bind(meta);
  let answered = 0;
  meta.gatewayByTokenHash = async (hash) => {
    await new Promise((r) => setTimeout(r, 300));
    const g = await lookup(hash);
    answered++;
    return g;
  };
  const body = JSON.stringify(batch([telemetry('kit-x', 1, 1)]));
  for (let i = 0; i < 2; i++) {
    const s = await rawConnection(c.base);
    s.write(`${ingestHead(a.gateway.token, body.length)}${body.slice(0, 5)}`);
    setTimeout(() => s.destroy(), 50); // the relay's own timeout, say
  }
  await waitFor('both token checks', async () => (answered >= 2 ? true : undefined));
  meta.gatewayByTokenHash = lookup;
  await inFlightReaches(c.base, a.viewer, 0);
  for (const seq of [2, 3])
    t.equal((await api(c.base, 'POST', '/v1/ingest', a.gateway.token, batch([telemetry('kit-x', 1, seq)]))).status, 200);
  const held = [heldIngest(c.base, a.gateway.token, batch([telemetry('kit-x', 1, 4)])), heldIngest(c.base, a.gateway.token, batch([]))];
  await inFlightReaches(c.base, a.viewer, 2);
  t.equal((await api(c.base, 'POST', '/v1/ingest', a.gateway.token, batch([]))).status, 429, 'both places are the held ones');
  for (const h of held) h.abort();
});

t.test('a pipelined request queued behind another answer frees its place when the connection drops', async (t) => {
  const c = await startCloud(t, testConfig(t, undefined, 'inflight-pipe'));
  const a = await credentials(c);
  const body = JSON.stringify(batch([telemetry('kit-p', 1, 1)]));
  const s = await rawConnection(c.base);
  // The stream's answer never ends: the ingest answer waits behind it on this connection.
  s.write(
    `GET /v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${a.viewer}\r\n\r\n${ingestHead(a.gateway.token, body.length)}${body}`,
  );
  await inFlightReaches(c.base, a.viewer, 1);
  s.destroy();
  await inFlightReaches(c.base, a.viewer, 0);
  t.pass('nothing is counted once the connection is gone');
});
