import mysql from 'mysql2/promise';
import t from 'tap';
import type { RelayBatch, RelayRecord } from '../shared/relay/batch.js';
import { createGateway } from './admin.js';
import type { Stores } from './stores/types.js';
import { DEFAULT_ORG, DEFAULT_SCOPE } from './stores/types.js';
import { audit, batch, event, status, T0, telemetry } from './testing/fixtures.js';
import { latestOf, pointsOf } from './testing/read-back.js';
import { api, type RunningCloud, startCloud, startServers, testConfig } from './testing/servers.js';

/**
 * Scale-out: two cloud instances on the same InfluxDB, Redis and MariaDB, with gateways spread over
 * both (and some batches delivered to both at once, as a retry through another instance would),
 * store exactly what one instance stores given the same traffic.
 */
const servers = await startServers(t);
const GATEWAYS = ['gw-alpha', 'gw-bravo', 'gw-charlie', 'gw-delta'];
const DEVICES_PER_GW = 3;

function traffic(): Map<string, RelayBatch[]> {
  const out = new Map<string, RelayBatch[]>();
  GATEWAYS.forEach((gw, g) => {
    const batches: RelayBatch[] = [];
    for (let b = 0; b < 6; b++) {
      const records: RelayRecord[] = [];
      for (let d = 0; d < DEVICES_PER_GW; d++) {
        const dev = `kit-${g}-${d}`;
        for (let s = 0; s < 20; s++) records.push(telemetry(dev, 1 + (b >> 2), b * 20 + s, { tempC: 50 + ((g + d + s) % 40) / 4 }));
        records.push(event(dev, { id: `ev-${g}-${d}-${b}`, ts: T0 + b * 1000 }));
        records.push(audit(dev, { id: `au-${g}-${d}-${b}`, ts: T0 + b * 1000 }));
        records.push(status(dev, b === 5 && d === 0 ? 'offline' : 'online', 1 + (b >> 2), T0 + b * 1000 + d));
        (records.at(-1) as { id: string }).id = `st-${g}-${d}-${b}`;
      }
      batches.push({ ...batch(records), batchId: `b-${g}-${b}` });
    }
    out.set(gw, batches);
  });
  return out;
}

async function setup(ns: string, instances: number, database: string) {
  const admin = await mysql.createConnection(servers.mysql.url);
  await admin.query(`CREATE DATABASE IF NOT EXISTS ${database}`);
  await admin.end();
  const url = new URL(servers.mysql.url);
  url.pathname = `/${database}`;
  const config = testConfig(t, servers, ns, { 'mysql.url': url.toString() });
  const clouds: RunningCloud[] = [];
  // Both instances migrate at start: the migration lock makes that safe.
  for (const c of await Promise.all(Array.from({ length: instances }, () => startCloud(t, config)))) clouds.push(c);
  const tokens = new Map<string, string>();
  for (const gw of GATEWAYS) tokens.set(gw, (await createGateway(clouds[0]!.cloud.stores.meta, gw, DEFAULT_ORG, T0)).token);
  return { clouds, tokens };
}

async function send(clouds: RunningCloud[], tokens: Map<string, string>, spread: boolean) {
  const all = traffic();
  await Promise.all(
    GATEWAYS.map(async (gw, g) => {
      for (const [i, b] of (all.get(gw) ?? []).entries()) {
        const target = clouds[spread ? (g + i) % clouds.length : 0]!;
        const res = await api(target.base, 'POST', '/v1/ingest', tokens.get(gw), b);
        if (res.status !== 200) throw new Error(`ingest ${res.status}: ${JSON.stringify(res.body)}`);
        if (spread && i % 2 === 0) {
          // The same batch through both instances at once (a retry racing the original).
          const both = await Promise.all(clouds.map((c) => api(c.base, 'POST', '/v1/ingest', tokens.get(gw), b)));
          if (both.some((r) => r.status !== 200)) throw new Error('concurrent replay failed');
        }
      }
    }),
  );
}

async function snapshot(stores: Stores) {
  const devices: Record<string, unknown> = {};
  for (let g = 0; g < GATEWAYS.length; g++) {
    for (let d = 0; d < DEVICES_PER_GW; d++) {
      const id = `kit-${g}-${d}`;
      const points = await pointsOf(stores, id, 0, T0 + 10_000_000);
      const st = (await latestOf(stores, [id], T0 + 6000)).get(id);
      const events = await stores.meta.listEvents(DEFAULT_SCOPE, { deviceId: id }, { limit: 500 });
      const trail = await stores.meta.listAudit(DEFAULT_SCOPE, { deviceId: id }, { limit: 500 });
      devices[id] = {
        points: points.map((p) => [p.ts, p.boot, p.seq, p.temperature, p.gatewayId]).sort(),
        state: st && { boot: st.boot, seq: st.seq, tempC: st.tempC, status: st.status, gatewayId: st.gatewayId },
        events: events.items.map((e) => e.id),
        audit: trail.items.map((a) => a.id),
        device: (await stores.meta.getDevice(DEFAULT_SCOPE, id))?.gatewayId,
      };
    }
  }
  return devices;
}

t.test('two instances over the same stores store what one instance stores', async (t) => {
  const one = await setup('one', 1, 'sv_one');
  const two = await setup('two', 2, 'sv_two');
  await send(one.clouds, one.tokens, false);
  await send(two.clouds, two.tokens, true);
  const a = await snapshot(one.clouds[0]!.cloud.stores);
  const b = await snapshot(two.clouds[1]!.cloud.stores);
  t.same(b, a, 'the same points, latest state, events, audit and devices');
  const first = a['kit-0-0'] as { points: unknown[]; events: unknown[] };
  t.equal(first.points.length, 120, 'every telemetry record once');
  t.equal(first.events.length, 6, 'every event once');
  t.equal(await two.clouds[0]!.cloud.stores.meta.countRows('events'), GATEWAYS.length * DEVICES_PER_GW * 6);
});

t.test('a cook set through one instance reaches a gateway talking to the other', async (t) => {
  const { clouds, tokens } = await setup('cook', 2, 'sv_cook');
  await send(clouds, tokens, true);
  const { createApiKey } = await import('./admin.js');
  const key = await createApiKey(clouds[0]!.cloud.stores.meta, { role: 'operator', owner: 'olga', orgId: DEFAULT_ORG }, Date.now());
  const put = await api(clouds[0]!.base, 'PUT', '/v1/devices/kit-1-2/cook', key.key, { targetC: 61 });
  t.equal(put.status, 200);
  const reply = await api(clouds[1]!.base, 'POST', '/v1/ingest', tokens.get('gw-bravo'), batch([]));
  t.match(reply.body.desired, {
    version: put.body.desiredCook.version,
    devices: [{ deviceId: 'kit-1-2', cook: { spec: { targetC: 61 } } }],
  });
});

t.test('rate limits are shared by the instances through Redis', async (t) => {
  const admin = await mysql.createConnection(servers.mysql.url);
  await admin.query('CREATE DATABASE IF NOT EXISTS sv_rl');
  await admin.end();
  const url = new URL(servers.mysql.url);
  url.pathname = '/sv_rl';
  const config = testConfig(t, servers, 'rl', { 'mysql.url': url.toString(), 'rateLimit.keyPerMin': 6 });
  const [a, b] = await Promise.all([startCloud(t, config), startCloud(t, config)]);
  const { createApiKey } = await import('./admin.js');
  const key = await createApiKey(a!.cloud.stores.meta, { role: 'viewer', owner: 'vera', orgId: DEFAULT_ORG }, Date.now());
  const codes: number[] = [];
  for (let i = 0; i < 4; i++) {
    codes.push((await api(a!.base, 'GET', '/v1/gateways', key.key)).status);
    codes.push((await api(b!.base, 'GET', '/v1/gateways', key.key)).status);
  }
  t.same(codes.filter((c) => c === 200).length, 6, 'six answered across both instances, then 429');
  t.equal(codes.filter((c) => c === 429).length, 2);
});
