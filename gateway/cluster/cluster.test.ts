import cluster from 'node:cluster';
import type { MqttClient } from 'mqtt';
import t, { type Test } from 'tap';
import { isSvError } from '../../shared/errors.js';
import { startRedis } from '../../test/harness/redis.js';
import { revoke } from '../devices/provision.js';
import { closed, counter, type GatewayFixture, startGateway, telemetry } from '../testing/fixture.js';

/** Per-node gauge from /metrics, e.g. broker_node_clients{node="1"}. */
function nodeGauge(metrics: string, name: string, node: number): number {
  const m = new RegExp(`^${name}\\{node="${node}"\\} (\\d+(?:\\.\\d+)?)$`, 'm').exec(metrics);
  return Number(m?.[1] ?? Number.NaN);
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Awaits a promise for at most `ms`: a wait that never ends fails with its name, not with the runner's timeout. */
async function within<T>(what: string, p: Promise<T>, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

const storedOnce = (gw: GatewayFixture) =>
  gw.db().prepare('SELECT device_id AS id, boot, seq, count(*) AS n FROM telemetry GROUP BY device_id, boot, seq').all() as {
    id: string;
    boot: number;
    seq: number;
    n: number;
  }[];

async function twoNodes(t: Test): Promise<GatewayFixture> {
  const redis = await startRedis(t);
  return startGateway(t, { 'mqtt.nodes': 2, 'mqtt.clusterRedisUrl': redis.url });
}

t.test('mqtt.nodes > 1 without a Redis URL is a config error that names the key', async (t) => {
  const err = await startGateway(t, { 'mqtt.nodes': 2 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(isSvError(err, 'SV_ERR_CONFIG_INVALID'), 'SV_ERR_CONFIG_INVALID');
  t.match(String(err), /mqtt\.clusterRedisUrl: required when mqtt\.nodes > 1/, 'names the key and the reason');
});

t.test('two broker nodes: kits on both, every acknowledged uplink stored once, commands reach either node', async (t) => {
  const gw = await twoNodes(t);
  const ids = Array.from({ length: 8 }, (_, i) => `kit-c${i}`);
  const kits = new Map<string, MqttClient>();
  for (const id of ids) {
    const secret = await gw.addKit(id);
    kits.set(id, await gw.connect({ clientId: id, username: id, password: secret }));
  }
  await until('both nodes to report their clients', async () => {
    const m = await gw.metrics();
    return nodeGauge(m, 'broker_node_clients', 0) + nodeGauge(m, 'broker_node_clients', 1) === ids.length;
  });
  const m0 = await gw.metrics();
  t.ok(
    nodeGauge(m0, 'broker_node_clients', 0) > 0 && nodeGauge(m0, 'broker_node_clients', 1) > 0,
    'the listener spread the kits over both nodes',
  );

  for (const [id, c] of kits) for (let seq = 0; seq < 5; seq++) await c.publishAsync(`sv/${id}/telemetry`, telemetry({ seq }), { qos: 1 });
  const rows = storedOnce(gw);
  t.equal(rows.length, ids.length * 5, 'every acknowledged (id, boot, seq) is in the store');
  t.ok(
    rows.every((r) => r.n === 1),
    'each exactly once',
  );
  for (const id of ids)
    t.same(
      rows
        .filter((r) => r.id === id)
        .map((r) => r.seq)
        .sort(),
      [0, 1, 2, 3, 4],
      `${id}: seq 0..4`,
    );

  // A replay and a malformed payload, through a node: counted as duplicate / dead-lettered, still acknowledged.
  const [first, c0] = [...kits][0] as [string, MqttClient];
  await c0.publishAsync(`sv/${first}/telemetry`, telemetry({ seq: 3 }), { qos: 1 });
  await c0.publishAsync(`sv/${first}/telemetry`, '{"v":1,"boot":1,"seq":9,"extra":1}', { qos: 1 });
  t.equal(storedOnce(gw).length, ids.length * 5, 'the replay and the invalid message added no telemetry');
  const dlq = gw.db().prepare('SELECT device_id, topic FROM dead_letters').all();
  t.same(dlq, [{ device_id: first, topic: `sv/${first}/telemetry` }], 'the invalid message is in the dead-letter store');
  await until('the counters of the gateway process', async () => counter(await gw.metrics(), 'puback_latency_seconds_count') >= 42);
  const m1 = await gw.metrics();
  t.equal(counter(m1, 'mqtt_recv_total'), 42, 'mqtt_recv counts every uplink of both nodes');
  t.equal(counter(m1, 'duplicate_total'), 1, 'duplicate counted');
  t.equal(counter(m1, 'puback_latency_seconds_count'), 42, "each PUBACK's latency was observed once (by its node)");
  t.equal(counter(m1, 'auth_ok_total'), ids.length, "the nodes' auth_ok counts reach the gateway's /metrics");

  // Commands from the gateway process reach each kit on whichever node holds it.
  const got = new Map<string, string>();
  await Promise.all(
    [...kits].map(async ([id, c]) => {
      c.on('message', (_topic, payload) => got.set(id, payload.toString()));
      await c.subscribeAsync(`sv/${id}/cmd`, { qos: 1 });
    }),
  );
  for (const id of ids) {
    gw.gateway.broker.sendCommand(id, `{"for":"${id}"}`);
  }
  await until('every kit to get its command', () => got.size === ids.length);
  for (const id of ids) t.equal(got.get(id), `{"for":"${id}"}`, `${id} got its own command, and only it`);
  for (const c of kits.values()) c.end(true);
});

t.test('two broker nodes: a second connection on the other node replaces the first; a revoked kit is disconnected', async (t) => {
  const gw = await twoNodes(t);
  const secret = await gw.addKit('kit-twin');
  const opts = { clientId: 'kit-twin', username: 'kit-twin', password: secret };
  const clientsPerNode = async () => {
    const m = await gw.metrics();
    return [nodeGauge(m, 'broker_node_clients', 0), nodeGauge(m, 'broker_node_clients', 1)];
  };
  const a = await gw.connect(opts);
  await until('the first connection to be reported', async () => (await clientsPerNode()).reduce((x, y) => x + y) === 1);
  const firstNode = (await clientsPerNode()).indexOf(1);
  const aGone = closed(a);
  const b = await gw.connect(opts); // the cluster's round robin hands the next connection to the other node
  await within('the first connection to be closed', aGone);
  await until('the takeover to be reported', async () => {
    const n = await clientsPerNode();
    return n[firstNode] === 0 && n[1 - firstNode] === 1;
  });
  t.pass('the older connection (on one node) was closed when the same client id connected on the other');
  await until('the replacement to be counted', async () => counter(await gw.metrics(), 'client_replaced_total') === 1);
  t.pass('and counted as client_replaced once, as on a single node');
  t.ok(b.connected, 'the newer connection stays');

  const bGone = closed(b);
  revoke({ dataDir: gw.dataDir } as never, 'kit-twin');
  await within('the revoked kit to be disconnected', bGone);
  t.pass('revoking the kit ended its connection on whichever node held it');
  await t.rejects(gw.connect(opts), /Not authorized/i, 'and it cannot reconnect');
  await until('the refusal to be counted', async () => counter(await gw.metrics(), 'auth_failed_total', 'revoked') === 1);
  t.pass("the node's auth_failed{reason=revoked} reached the gateway's /metrics");
});

t.test('a broker node killed with SIGKILL is restarted; every acknowledged message is stored exactly once', async (t) => {
  const gw = await twoNodes(t);
  const ids = Array.from({ length: 6 }, (_, i) => `kit-k${i}`);
  const acked = new Set<string>();
  const clients: MqttClient[] = [];
  let running = true;
  t.teardown(() => {
    running = false; // also when an assertion below fails: the publishing loops end
  });
  const loops: Promise<void>[] = [];
  for (const id of ids) {
    const secret = await gw.addKit(id);
    const c = await gw.connect({ clientId: id, username: id, password: secret, reconnectPeriod: 200 });
    c.on('error', () => {});
    clients.push(c);
    loops.push(
      (async () => {
        let seq = 0;
        while (running) {
          if (!c.connected) {
            await new Promise((r) => setTimeout(r, 50));
            continue;
          }
          try {
            await c.publishAsync(`sv/${id}/telemetry`, telemetry({ seq }), { qos: 1 });
            acked.add(`${id}/1/${seq}`);
            seq++;
          } catch {
            // not acknowledged: the same seq goes again after the reconnect (as a kit's outbox does)
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      })(),
    );
  }
  await until('some traffic', () => acked.size >= 60);
  const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined && !w.isDead());
  t.equal(workers.length, 2, 'two node processes run');
  workers[0]?.process.kill('SIGKILL');
  await until('the node to be restarted', async () => {
    const m = await gw.metrics();
    return counter(m, 'broker_node_restarts_total') === 1 && nodeGauge(m, 'broker_node_up', 0) + nodeGauge(m, 'broker_node_up', 1) === 2;
  });
  const before = acked.size;
  await until('the kits to publish again after the restart', () => acked.size >= before + 60, 90_000);
  running = false;
  await within('the publishing loops to end', Promise.all(loops));
  for (const c of clients) c.end(true);
  const rows = storedOnce(gw);
  const stored = new Set(rows.map((r) => `${r.id}/${r.boot}/${r.seq}`));
  const missing = [...acked].filter((k) => !stored.has(k));
  t.same(missing, [], 'every message whose PUBACK a kit received is in the store');
  t.ok(
    rows.every((r) => r.n === 1),
    'and none twice',
  );

  // The restarted node takes new connections again (the kits above all went to the survivor).
  const fresh: MqttClient[] = [];
  for (const id of ['kit-n0', 'kit-n1']) {
    const secret = await gw.addKit(id);
    fresh.push(await gw.connect({ clientId: id, username: id, password: secret }));
  }
  await until('the new kits to be reported', async () => {
    const m = await gw.metrics();
    return nodeGauge(m, 'broker_node_clients', 0) + nodeGauge(m, 'broker_node_clients', 1) === 2;
  });
  const m = await gw.metrics();
  t.ok(Math.min(nodeGauge(m, 'broker_node_clients', 0), nodeGauge(m, 'broker_node_clients', 1)) >= 1, 'both nodes hold kits again');
  for (const c of fresh) c.end(true);
});

t.test('Redis down: uplinks go on, a subscription waits for Redis, commands flow again after it; stop does not hang', async (t) => {
  const redis = await startRedis(t);
  const gw = await startGateway(t, { 'mqtt.nodes': 2, 'mqtt.clusterRedisUrl': redis.url });
  const connectKit = async (id: string) => {
    const secret = await gw.addKit(id);
    const c = await gw.connect({ clientId: id, username: id, password: secret });
    c.on('error', () => {});
    return c;
  };
  const a = await connectKit('kit-ra');
  await a.subscribeAsync('sv/kit-ra/cmd', { qos: 1 });
  await redis.stop();

  for (let seq = 0; seq < 5; seq++) await a.publishAsync('sv/kit-ra/telemetry', telemetry({ seq }), { qos: 1 });
  const b = await connectKit('kit-rb'); // connects and authenticates without Redis
  let subacked = false;
  const subscribed = b.subscribeAsync('sv/kit-rb/cmd', { qos: 1 }).then(() => {
    subacked = true;
  });
  for (let seq = 0; seq < 3; seq++) await b.publishAsync('sv/kit-rb/telemetry', telemetry({ seq }), { qos: 1 });
  t.same(
    storedOnce(gw).map((r) => `${r.id}/${r.seq}/${r.n}`),
    ['kit-ra/0/1', 'kit-ra/1/1', 'kit-ra/2/1', 'kit-ra/3/1', 'kit-ra/4/1', 'kit-rb/0/1', 'kit-rb/1/1', 'kit-rb/2/1'],
    'every uplink sent while Redis was down was acknowledged and stored once',
  );
  t.notOk(subacked, 'the SUBACK waits for Redis (it would promise commands that cannot arrive)');

  await redis.start();
  // ioredis reconnects with its backoff, and the nodes re-subscribe: seconds alone, longer on a loaded machine.
  await within('the SUBACK after Redis is back', subscribed, 90_000);
  t.pass('after Redis is back, the waiting subscription is acknowledged');
  const got = new Map<string, string>();
  a.on('message', (_t, p) => got.set('kit-ra', p.toString()));
  b.on('message', (_t, p) => got.set('kit-rb', p.toString()));
  const publish = (id: string) => gw.gateway.broker.sendCommand(id, `{"for":"${id}"}`);
  await until('both kits to get a command', () => {
    for (const id of ['kit-ra', 'kit-rb']) if (!got.has(id)) publish(id);
    return got.size === 2;
  });
  t.same(Object.fromEntries(got), { 'kit-ra': '{"for":"kit-ra"}', 'kit-rb': '{"for":"kit-rb"}' }, 'commands reach both kits again');
  t.equal(counter(await gw.metrics(), 'broker_node_restarts_total'), 0, 'no node died during the outage');

  a.end(true);
  b.end(true);
  await redis.stop();
  const stopped = await Promise.race([gw.stop().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
  t.ok(stopped, 'the gateway stops with Redis down');
});
