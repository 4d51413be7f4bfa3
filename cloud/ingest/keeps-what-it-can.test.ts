// ADR 082 against real servers (InfluxDB, Redis, MariaDB; and the embedded store for the latest
// state): one reading InfluxDB refuses does not hold the batch; a revoked or moved kit's backlog,
// alarm clear and audit from its last owner are kept; a replacement unit under the same id shows.
import t from 'tap';
import { capturedLogger } from '../../test/harness/index.js';
import { createGateway } from '../admin.js';
import { CloudMetrics } from '../metrics.js';
import { closeStores, createStores, openStores } from '../stores/index.js';
import { DEFAULT_ORG, DEFAULT_SCOPE, type Stores } from '../stores/types.js';
import { uid } from '../testing/fixtures.js';
import { type Servers, startServers, testConfig } from '../testing/servers.js';
import { IngestPipeline } from './pipeline.js';

const servers = await startServers(t);

async function stack(t: { teardown(fn: () => unknown): void }, servers: Servers | undefined, ns: string) {
  const stores = createStores(testConfig(t, servers, ns));
  await openStores(stores);
  t.teardown(() => closeStores(stores));
  const metrics = new CloudMetrics();
  const { log, lines } = capturedLogger(ns);
  const pipe = new IngestPipeline(stores, metrics, { sinkTimeoutMs: 5_000 }, log);
  const gateway = async () => {
    const gw = await createGateway(stores.meta, uid('gw').toLowerCase(), DEFAULT_ORG, Date.now());
    return { id: gw.id, orgId: DEFAULT_ORG };
  };
  return { stores, metrics, lines, pipe, gateway };
}

const now = Date.now();
const batch = (id: string, records: unknown[]) =>
  ({
    v: 1,
    batchId: id,
    sentAt: now,
    desiredVersion: 0,
    backlog: { records: 0, bytes: 0, oldestAgeMs: null, dropped: {} },
    records,
  }) as never;
const tel = (deviceId: string, seq: number, rx: number, boot = 1) => ({
  kind: 'telemetry',
  deviceId,
  boot,
  seq,
  ts: rx,
  rxTs: rx,
  tempC: 60,
  sensor: 'ok',
  heater: true,
});
const alarm = (id: string, deviceId: string, clearedAt: number | null = null) => ({
  kind: 'alarm',
  id,
  deviceId,
  type: 'over_temp',
  severity: 'critical',
  raisedAt: now - 60_000,
  text: 'too hot',
  acknowledgedBy: null,
  acknowledgedAt: null,
  note: null,
  clearedAt,
  how: clearedAt === null ? null : 'cooled',
});
const audit = (id: string, deviceId: string, ts: number) => ({
  kind: 'audit',
  id,
  ts,
  actor: { type: 'user', id: 'op' },
  deviceId,
  action: 'cook.stop',
  reason: 'operator',
  data: {},
});
const seqs = async (stores: Stores, deviceId: string, gatewayIds: string[]) =>
  (await stores.telemetry.points({ deviceId, gatewayIds }, 0, Date.now() + 60_000)).map((p) => p.seq).sort((a, b) => a - b);

t.test(
  'a reading InfluxDB refuses (beyond the retention policy) is dropped and counted; the rest of the batch commits, once',
  async (t) => {
    const { stores, metrics, lines, pipe, gateway } = await stack(t, servers, 'keep_rp');
    const db = testConfig(t, servers, 'keep_rp').influx.db;
    const rp = await fetch(`${servers.influx.url}/query`, {
      method: 'POST',
      body: new URLSearchParams({ q: `ALTER RETENTION POLICY autogen ON ${db} DURATION 1h SHARD DURATION 1h DEFAULT` }),
    });
    t.equal(rp.status, 200, 'a one-hour retention policy');
    const gw = await gateway();
    const dev = 'kit-rp';
    const ev = { kind: 'event', id: uid('ev'), deviceId: dev, type: 'over_temp', severity: 'critical', ts: now, safety: true, data: {} };
    // A gateway back from a 3-hour outage: one reading older than the retention policy, fresh ones, a safety event.
    const records = [ev, tel(dev, 1, now - 3 * 3600_000), ...Array.from({ length: 19 }, (_, i) => tel(dev, i + 2, now - 1_000 + i))];
    const reply = await pipe.ingest(gw, batch(uid('b'), records), now);
    t.equal(reply.ok, true, 'answered 200, not 503');
    t.notOk(reply.rejected, 'nothing rejected as invalid');
    t.same(
      await seqs(stores, dev, [gw.id]),
      Array.from({ length: 19 }, (_, i) => i + 2),
      'the 19 fresh readings are in InfluxDB, the old one is not',
    );
    t.equal((await stores.meta.listEvents(DEFAULT_SCOPE, { deviceId: dev }, { limit: 10 })).items.length, 1, 'the safety event is stored');
    const m = await metrics.registry.getSingleMetricAsString('ingest_telemetry_dropped_total');
    t.match(m, /ingest_telemetry_dropped_total\{reason="retention"\} 1/, 'the drop is counted with its reason');
    const line = lines.find((l) => l.includes('refused by the telemetry store'));
    t.ok(line, 'and logged');
    t.match(
      JSON.parse(line ?? '{}'),
      { gatewayId: gw.id, reason: 'retention', dropped: 1, records: [`${dev}/1/1`] },
      'naming device/boot/seq',
    );

    // The same batch again (the gateway's retry after a lost answer): still every point once.
    await pipe.ingest(gw, batch(uid('b'), records), now);
    t.same(
      await seqs(stores, dev, [gw.id]),
      Array.from({ length: 19 }, (_, i) => i + 2),
      'a replay writes each point once',
    );
  },
);

t.test(
  'a revoked kit: what its gateway stamped before the revocation, its alarm clear and audit are kept (MariaDB, Redis, InfluxDB)',
  async (t) => {
    const { stores, pipe, gateway } = await stack(t, servers, 'keep_revoke');
    const gw = await gateway();
    const dev = 'kit-rv';
    const alarmId = uid('ev');
    await pipe.ingest(
      gw,
      batch('b-1', [
        { kind: 'registry', id: uid('reg'), ts: now - 120_000, added: [dev], revoked: [] },
        tel(dev, 1, now - 100_000),
        alarm(alarmId, dev),
      ]),
      now,
    );
    t.match((await stores.meta.listAlarms(DEFAULT_SCOPE, { deviceId: dev }, { limit: 10 })).items, [{ id: alarmId, state: 'open' }]);
    // Back from an outage: the revocation (priority 0) leads the backlog taken before it.
    const r = await pipe.ingest(
      gw,
      batch('b-2', [
        { kind: 'registry', id: uid('reg'), ts: now - 10_000, added: [], revoked: [dev] },
        alarm(alarmId, dev, now - 30_000),
        audit('au-rv-1', dev, now - 10_000),
        tel(dev, 2, now - 50_000),
        tel(dev, 3, now - 40_000),
        tel(dev, 4, now - 30_000),
        tel(dev, 5, now - 5_000), // after the revocation: refused
        audit('au-rv-2', dev, now - 1_000), // audit of the kit after it: still the kitchen's record
        alarm(uid('ev'), dev), // a new alarm raised after it: taken too (alarms are always taken from the last owner)
      ]),
      now,
    );
    t.same(
      r.rejected?.map((x) => x.index),
      [6],
      'only the reading stamped after the revocation is refused',
    );
    t.same(await seqs(stores, dev, [gw.id]), [1, 2, 3, 4], 'the backlog taken before the revocation is in InfluxDB');
    t.match(
      (await stores.meta.listAlarms(DEFAULT_SCOPE, { deviceId: dev }, { limit: 10 })).items.find((a) => a.id === alarmId),
      {
        state: 'cleared',
        clearedAt: now - 30_000,
      },
      "the revoked kit's alarm cleared in the cloud",
    );
    const au = (await stores.meta.listAudit(DEFAULT_SCOPE, { deviceId: dev }, { limit: 50 })).items.map((a) => a.id);
    t.ok(au.includes('au-rv-1') && au.includes('au-rv-2'), 'its audit entries are kept');
    t.equal((await stores.meta.getDevice(DEFAULT_SCOPE, dev))?.revokedMs, now - 10_000, "revoked at the registry record's stamp");
    // The whole registry again at the gateway's next start does not move the line.
    const again = await pipe.ingest(
      gw,
      batch('b-3', [{ kind: 'registry', id: uid('reg'), ts: now, added: [], revoked: [dev] }, tel(dev, 6, now - 2_000)]),
      now,
    );
    t.same(
      again.rejected?.map((x) => x.index),
      [1],
      'a later reading is still refused after the registry is sent again',
    );
    t.equal((await stores.meta.getDevice(DEFAULT_SCOPE, dev))?.revokedMs, now - 10_000, 'the revocation keeps its first stamp');
  },
);

t.test("a moved kit: its old gateway's records from before the move and its alarm clear are kept; after it refused", async (t) => {
  const { stores, pipe, gateway } = await stack(t, servers, 'keep_move');
  const [a, b, c] = [await gateway(), await gateway(), await gateway()];
  const dev = 'kit-mv';
  const alarmId = uid('ev');
  await pipe.ingest(
    a,
    batch('m-1', [
      { kind: 'registry', id: uid('reg'), ts: now - 120_000, added: [dev], revoked: [] },
      tel(dev, 1, now - 100_000),
      alarm(alarmId, dev),
    ]),
    now,
  );
  const moveAt = now - 20_000;
  const au = {
    id: uid('au'),
    orgId: DEFAULT_ORG,
    gatewayId: null,
    ts: moveAt,
    actor: { type: 'user' as const, id: 'admin' },
    deviceId: dev,
    action: 'device.move',
    reason: null,
    data: {},
  };
  await stores.meta.setDesiredCook(DEFAULT_SCOPE, dev, { targetC: 58 }, 'cook-m', now - 60_000, {
    ...au,
    id: uid('au'),
    action: 'cook.set',
  } as never);
  t.ok(await stores.meta.moveDevice(DEFAULT_SCOPE, dev, b.id, moveAt, au as never), 'moved to gateway b');
  // The old gateway, back from an outage: a cook changed at its kitchen before the move (stamped later than the desired cook).
  const cook = {
    kind: 'cook',
    id: 'cook-k-v1-heating',
    deviceId: dev,
    version: 1,
    state: 'heating',
    spec: { targetC: 61 },
    startedTs: now - 25_000,
    updatedTs: now - 25_000,
  };
  const r = await pipe.ingest(
    a,
    batch('m-2', [alarm(alarmId, dev, now - 25_000), tel(dev, 2, now - 30_000), tel(dev, 3, now - 10_000), cook]),
    now,
  );
  t.match(
    await stores.meta.getDesiredCook(DEFAULT_SCOPE, dev),
    { gatewayId: b.id, cookId: 'cook-m' },
    'its cook from before the move is history: the desired cook stays with the new gateway',
  );
  t.same(
    r.rejected?.map((x) => x.index),
    [2],
    "the old gateway's reading after the move is refused",
  );
  t.same(await seqs(stores, dev, [a.id, b.id, c.id]), [1, 2], 'its reading from before the move is kept');
  t.match(
    (await stores.meta.listAlarms(DEFAULT_SCOPE, { deviceId: dev }, { limit: 10 })).items,
    [{ id: alarmId, state: 'cleared' }],
    'the alarm clears',
  );
  const other = await pipe.ingest(c, batch('m-3', [tel(dev, 4, now - 200_000), alarm(uid('ev'), dev)]), now);
  t.same(
    other.rejected?.map((x) => x.index),
    [0, 1],
    'a gateway that never owned it is refused whole, alarm included',
  );
});

for (const backend of ['production', 'embedded'] as const) {
  t.test(`a replacement unit under the same id (boot counter from 0) shows in the latest state (${backend})`, async (t) => {
    const { stores, pipe, gateway } = await stack(t, backend === 'production' ? servers : undefined, `keep_replace_${backend}`);
    const gw = await gateway();
    const dev = 'kit-1';
    const latest = async () => (await stores.state.latest(DEFAULT_ORG, [dev], now + 1_000)).get(dev);
    const oldUnit = [
      { kind: 'registry', id: uid('reg'), ts: now - 9_000, added: [dev], revoked: [] },
      { kind: 'status', id: uid('st'), deviceId: dev, state: 'online', boot: 57, rxTs: now - 8_000 },
      tel(dev, 900, now - 7_000, 57),
    ];
    await pipe.ingest(gw, batch('r-1', oldUnit), now);
    t.match(await latest(), { boot: 57, seq: 900 });
    const replaced = batch('r-2', [
      { kind: 'registry', id: 'reg-revoke', ts: now - 5_000, added: [], revoked: [dev] },
      { kind: 'registry', id: 'reg-add', ts: now - 4_000, added: [dev], revoked: [] },
      { kind: 'status', id: uid('st'), deviceId: dev, state: 'online', boot: 0, rxTs: now - 3_000 },
      tel(dev, 0, now - 2_000, 0),
      tel(dev, 1, now - 1_000, 0),
    ]);
    await pipe.ingest(gw, replaced, now);
    t.match(await latest(), { boot: 0, seq: 1, tempC: 60, status: 'online' }, 'the new unit shows');
    // The old unit's backlog, taken before the revocation, arrives late (the bulk lane drains behind).
    await pipe.ingest(
      gw,
      batch('r-3', [
        tel(dev, 901, now - 6_000, 57),
        { kind: 'status', id: uid('st'), deviceId: dev, state: 'offline', boot: 57, rxTs: now - 5_500 },
      ]),
      now,
    );
    t.match(await latest(), { boot: 0, seq: 1, status: 'online' }, "the old unit's late records do not take the state back");
    t.same(await seqs(stores, dev, [gw.id]), [0, 1, 900, 901], 'but they are in its history');
    // A replay of the re-provisioning batch, and the whole registry at the next gateway start.
    await pipe.ingest(gw, replaced, now);
    await pipe.ingest(gw, batch('r-4', [{ kind: 'registry', id: uid('reg'), ts: now, added: [dev], revoked: [] }]), now);
    t.match(await latest(), { boot: 0, seq: 1 }, 'neither resets the state again');
    await pipe.ingest(gw, batch('r-5', [tel(dev, 2, now - 500, 0)]), now);
    t.match(await latest(), { boot: 0, seq: 2 }, 'and the new unit keeps moving it');
  });
}
