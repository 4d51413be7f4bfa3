import t from 'tap';
import { DEFAULT_SCOPE } from '../../cloud/stores/types.js';
import { latestOf, pointsOf as storedPoints } from '../../cloud/testing/read-back.js';
import { cloudBehindProxy, FAST_RELAY, outboxRows, sleep } from '../../test/cloud-behind-proxy.js';
import { waitFor } from '../../test/harness/index.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { startGateway, telemetry } from '../testing/fixture.js';
import type { DesiredState } from './downlink.js';

/** The relay of a real gateway (kits over MQTT/TLS) to a real cloud on real stores, through a fault proxy. */
const env = await cloudBehindProxy(t, 'relay');
const { proxy, stores } = env;
proxy.set({ kind: 'refuse' }); // the cloud is unreachable when the gateway starts
const gw = await startGateway(t, { 'cloud.url': env.url, 'cloud.token': env.creds.gateway.token, ...FAST_RELAY });
const operator = issueOperatorToken(tokenFilePath(gw.dataDir));
// biome-ignore lint/suspicious/noExplicitAny: the test reads loosely typed JSON
type Json = Record<string, any>;
const relayStatus = async (): Promise<Json> =>
  (await fetch(`http://127.0.0.1:${gw.httpPort}/v1/relay`, { headers: { authorization: `Bearer ${operator}` } })).json() as Promise<Json>;

const KITS = 5;
const PER_KIT = 40;
const kits = Array.from({ length: KITS }, (_, i) => `kit-relay${i}`);

async function publishAll(fromSeq: number, n: number) {
  await Promise.all(
    kits.map(async (id) => {
      const client = await gw.connect({ clientId: id, username: id, password: secrets.get(id) as string });
      for (let seq = fromSeq; seq < fromSeq + n; seq++) {
        await client.publishAsync(`sv/${id}/telemetry`, telemetry({ boot: 1, seq, ts: Date.now(), tempC: 50 + (seq % 10) }), { qos: 1 });
      }
      await client.endAsync();
    }),
  );
}
const secrets = new Map<string, string>();
for (const id of kits) secrets.set(id, await gw.addKit(id));

async function pointsOf(id: string) {
  return storedPoints(stores, id, 0, Date.now() + 60_000);
}

t.test('cloud unreachable, then back: every record arrives exactly once', async (t) => {
  await publishAll(0, PER_KIT);
  t.equal(outboxRows(gw.dataDir, 'telemetry'), KITS * PER_KIT, 'every acknowledged reading waits in the outbox');
  const down = await waitFor('backlog seen', async () => {
    const s = await relayStatus();
    return s.backlog.byPriority['2']?.records === KITS * PER_KIT ? s : undefined;
  });
  t.not(down.link, 'up', `link state while down: ${down.link}`);
  t.equal(down.lastSuccessTs, null, 'no success yet');
  const metrics = await gw.metrics();
  t.match(metrics, /relay_backlog_records \d+/, 'backlog depth in /metrics');
  t.match(metrics, /relay_link_state\{state="up"\} 0/, 'link state in /metrics');
  t.equal((await fetch(`http://127.0.0.1:${gw.httpPort}/v1/relay`)).status, 401, 'the local relay status needs the operator token');

  proxy.set({ kind: 'pass' });
  await waitFor('outbox drained', async () => (outboxRows(gw.dataDir) === 0 ? true : undefined), 60_000);
  for (const id of kits) {
    const pts = await pointsOf(id);
    t.same(
      pts.map((p) => p.seq).sort((a, b) => a - b),
      Array.from({ length: PER_KIT }, (_, i) => i),
      `${id}: each (boot, seq) in InfluxDB exactly once`,
    );
  }
  const latest = await latestOf(stores, kits, Date.now());
  t.same(
    kits.map((id) => latest.get(id)?.seq),
    kits.map(() => PER_KIT - 1),
    'Redis latest state is the newest reading of each kit',
  );
  const up = await relayStatus();
  t.equal(up.link, 'up');
  t.ok(up.sent.records >= KITS * PER_KIT, 'sent count covers the backlog');
});

t.test('cloud answers 503 (Redis down): Retry-After honoured, then everything arrives once', async (t) => {
  await env.servers.redis.stop();
  await publishAll(PER_KIT, 10);
  const throttled = await waitFor('throttled', async () => {
    const s = await relayStatus();
    return s.link === 'throttled' ? s : undefined;
  });
  t.match(throttled.lastError, /503/, 'the 503 is the last error');
  await env.servers.redis.start();
  await waitFor('outbox drained', async () => (outboxRows(gw.dataDir) === 0 ? true : undefined), 60_000);
  for (const id of kits) t.equal((await pointsOf(id)).length, PER_KIT + 10, `${id}: stored once after the retries`);
});

t.test('downlink: a cook set in the cloud reaches onDesired once, validated and versioned', async (t) => {
  const relay = gw.gateway.relay;
  if (!relay) throw new Error('relay not running');
  const got: DesiredState[] = [];
  relay.onDesired = async (d) => {
    got.push(d);
  };
  const dev = kits[0] as string;
  const set = await stores.meta.setDesiredCook(DEFAULT_SCOPE, dev, { targetC: 60, durationMin: 90 }, 'cook-cloud-1', Date.now(), {
    orgId: DEFAULT_SCOPE.orgId,
    id: `au-${Date.now()}`,
    ts: Date.now(),
    actor: { type: 'user', id: 'alice' },
    deviceId: dev,
    action: 'cook.start',
    reason: 'test',
    data: {},
    gatewayId: null,
  });
  t.ok(set, 'the cloud knows the device (learned from the relayed records)');
  await waitFor('desired state', async () => (got.length > 0 ? true : undefined), 20_000);
  const d = got[0] as DesiredState;
  t.match(d.devices.find((x) => x.deviceId === dev)?.cook, { id: 'cook-cloud-1', spec: { targetC: 60, durationMin: 90 } });
  // The version is kept (a writer commit) after onDesired returns, then reported: wait for that commit.
  await waitFor('the applied version', async () => (relay.desiredVersion === d.version ? true : undefined), 10_000).catch(() => undefined);
  t.equal(relay.desiredVersion, d.version, 'the applied version is reported in the next batches');
  await sleep(1500); // several idle syncs
  t.equal(got.length, 1, 'an applied version is not sent again');
  relay.onDesired = undefined;
});

t.test('a cook started locally reaches the cloud (cook and audit records)', async (t) => {
  const dev = kits[1] as string;
  const before = await stores.meta.countRows('cooks');
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/v1/devices/${dev}/cook`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
    body: JSON.stringify({ targetC: 57, durationMin: 60 }),
  });
  t.equal(res.status, 200, 'local API accepted the cook');
  await waitFor('cook in MySQL', async () => ((await stores.meta.countRows('cooks')) > before ? true : undefined), 20_000);
  const audit = await stores.meta.listAudit(DEFAULT_SCOPE, { deviceId: dev }, { limit: 10 });
  t.ok(
    audit.items.some((a) => a.actor.type === 'user'),
    'the local audit record is in MySQL',
  );
});
