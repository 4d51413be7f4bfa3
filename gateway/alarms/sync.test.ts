import t from 'tap';
import { api } from '../../cloud/testing/servers.js';
import { cloudBehindProxy, FAST_RELAY } from '../../test/cloud-behind-proxy.js';
import { waitFor } from '../../test/harness/index.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { startGateway, telemetry } from '../testing/fixture.js';

/**
 * Alarms synced both ways (docs/sync.md) between a real gateway and a real cloud (MariaDB, Redis,
 * InfluxDB): raised at the gateway, they reach the cloud; one acknowledged in the cloud comes down
 * and shows acknowledged at the gateway (audited there with the cloud as actor); one acknowledged
 * at the gateway goes up and shows acknowledged in the cloud; both sides end with the same state.
 */
t.test('acknowledged in the cloud → acknowledged at the gateway, and the other way round', async (t) => {
  const env = await cloudBehindProxy(t, 'alarm_sync');
  const gw = await startGateway(t, {
    'cloud.url': env.url,
    'cloud.token': env.creds.gateway.token,
    'mqtt.publishRatePerDevice': 0,
    ...FAST_RELAY,
  });
  const operator = issueOperatorToken(tokenFilePath(gw.dataDir));
  const local = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${operator}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON
    return { status: res.status, body: (await res.json()) as any };
  };
  const cloud = (method: string, path: string, body?: unknown) => api(env.cloud.base, method, path, env.creds.operator, body);
  for (const id of ['kit-sa', 'kit-sb']) {
    const secret = await gw.addKit(id);
    const kit = await gw.connect({ clientId: id, username: id, password: secret });
    for (let seq = 0; seq < 3; seq++)
      await kit.publishAsync(`sv/${id}/telemetry`, telemetry({ seq, tempC: 97, heater: false }), { qos: 1 });
    await kit.endAsync();
  }
  type A = { id: string; deviceId: string; type: string; state: string; acknowledgedBy: string | null; acknowledgedAt: number | null };
  const overTemp = (items: A[], kit: string) => items.find((x) => x.deviceId === kit && x.type === 'over_temp');
  const [a, b] = await waitFor(
    'both alarms in the cloud',
    async () => {
      const items = (await cloud('GET', '/v1/alarms?limit=500')).body.items as A[];
      const x = overTemp(items, 'kit-sa');
      const y = overTemp(items, 'kit-sb');
      return x && y ? [x, y] : undefined;
    },
    30_000,
  );
  t.equal(a.state, 'open');
  const gwA = overTemp((await local('GET', '/v1/alarms?deviceId=kit-sa')).body.items, 'kit-sa') as A;
  t.equal(gwA.id, a.id, 'the same alarm id on both sides');

  // Cloud → gateway.
  const acked = await cloud('POST', `/v1/alarms/${a.id}/ack`, { note: 'seen from the office' });
  t.equal(acked.status, 200);
  t.equal(acked.body.state, 'acknowledged');
  const down = await waitFor(
    'the cloud acknowledgement at the gateway',
    async () => {
      const x = overTemp((await local('GET', '/v1/alarms?deviceId=kit-sa')).body.items, 'kit-sa');
      return x?.state === 'acknowledged' ? x : undefined;
    },
    30_000,
  );
  t.match(down, { acknowledgedBy: acked.body.acknowledgedBy, acknowledgedAt: acked.body.acknowledgedAt, note: 'seen from the office' });
  t.match(acked.body.acknowledgedBy, /^oscar \(API key /, 'who acknowledged: the API key and its owner');
  const audit = gw.db().prepare("SELECT actor, actor_id, action FROM audit WHERE action = 'alarm.ack' AND data LIKE ?").all(`%${a.id}%`);
  t.same(
    audit,
    [{ actor: 'cloud', actor_id: acked.body.acknowledgedBy.slice(0, 64), action: 'alarm.ack' }],
    'applied and audited at the gateway',
  );
  await waitFor(
    'the gateway confirmed it (nothing left to send down)',
    async () => ((await env.stores.meta.alarmsDown(env.creds.gateway.id, 100)).length === 0 ? true : undefined),
    30_000,
  );

  // Gateway → cloud.
  const mine = overTemp((await local('GET', '/v1/alarms?deviceId=kit-sb')).body.items, 'kit-sb') as A;
  t.equal(mine.id, b.id);
  const r = await local('POST', `/v1/alarms/${b.id}/ack`, { note: 'at the stove' });
  t.equal(r.status, 200);
  const up = await waitFor(
    'the gateway acknowledgement in the cloud',
    async () => {
      const x = overTemp((await cloud('GET', '/v1/alarms?deviceId=kit-sb')).body.items, 'kit-sb');
      return x?.state === 'acknowledged' ? x : undefined;
    },
    30_000,
  );
  t.match(up, { id: b.id, acknowledgedBy: 'operator', acknowledgedAt: r.body.acknowledgedAt, note: 'at the stove' });
  const cloudAudit = (await api(env.cloud.base, 'GET', '/v1/audit?action=alarm.ack', env.creds.admin)).body.items as {
    actor: { type: string; id?: string };
    deviceId: string;
    gatewayId: string | null;
  }[];
  t.ok(
    cloudAudit.some(
      (x) => x.deviceId === 'kit-sb' && x.actor.type === 'user' && x.actor.id === 'operator' && x.gatewayId === env.creds.gateway.id,
    ),
    "the gateway's audit row reached the cloud",
  );
  t.ok(
    cloudAudit.some(
      (x) => x.deviceId === 'kit-sa' && x.actor.type === 'user' && x.actor.id === 'oscar' && x.gatewayId === env.creds.gateway.id,
    ),
    "the cloud's own audit row of its acknowledgement",
  );

  // One state on both sides for both alarms; a later ack changes nothing anywhere.
  t.equal((await cloud('POST', `/v1/alarms/${b.id}/ack`, { note: 'me too' })).body.note, 'at the stove', 'the first acknowledgement stays');
  const strip = ({ state, id, acknowledgedBy, acknowledgedAt, note }: A & { note: string | null }) => ({
    state,
    id,
    acknowledgedBy,
    acknowledgedAt,
    note,
  });
  for (const [kit, x] of [
    ['kit-sa', a],
    ['kit-sb', b],
  ] as const) {
    const g = overTemp((await local('GET', `/v1/alarms?deviceId=${kit}`)).body.items, kit) as A & { note: string | null };
    const c = overTemp((await cloud('GET', `/v1/alarms?deviceId=${kit}`)).body.items, kit) as A & { note: string | null };
    t.same(strip(g), strip(c), `${x.id}: the same on both sides`);
  }
});
