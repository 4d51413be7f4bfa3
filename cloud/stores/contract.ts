import type { Test } from 'tap';
import { cookRecordId } from '../../shared/relay/cook-id.js';
import { hashSecret } from '../auth/tokens.js';
import { audit, commandResult, cook, event, status, T0, telemetry, uid } from '../testing/fixtures.js';
import { DEFAULT_SCOPE, type MetaBatch, type Scope, type Stores } from './types.js';

/**
 * The one contract every back-end passes (docs/design.md: one suite for anything swappable):
 * production (InfluxDB + Redis + MySQL) and embedded (SQLite) run exactly these tests.
 * `make` returns opened, migrated stores; ids are unique per test, so stores may be shared.
 */
export function storeContract(t: Test, make: (t: Test) => Promise<Stores>): void {
  /** A fresh org per test: every meta call below is scoped to it. */
  const org = async (s: Stores): Promise<Scope> => {
    const id = uid('org').toLowerCase();
    await s.meta.addOrg({ id, name: id, nowMs: T0 });
    return { orgId: id };
  };
  const ids = () => uid('kit').toLowerCase();
  /** A person's audit row about a device, as setDesiredCook and moveDevice take it. */
  const userAudit = (orgId: string, deviceId: string, action: string) => ({
    id: uid('aud'),
    orgId,
    gatewayId: null,
    ts: T0,
    actor: { type: 'user' as const, id: 'ada' },
    deviceId,
    action,
    reason: 'r',
    data: {},
  });
  const metaBatch = (over: Partial<MetaBatch> = {}): MetaBatch => ({
    batchId: uid('b'),
    backlog: { records: 3, bytes: 300, oldestAgeMs: 10, dropped: {} },
    devices: new Map(),
    events: [],
    audit: [],
    commandResults: [],
    cooks: [],
    ...over,
  });

  t.test('telemetry: replays overwrite themselves; same time, different (boot, seq) both kept', async (t) => {
    const s = await make(t);
    const d = ids();
    const series = { deviceId: d, gatewayIds: ['gw-a'] };
    const recs = [
      telemetry(d, 1, 1),
      telemetry(d, 1, 2, { ts: T0 + 1000 }),
      telemetry(d, 2, 1, { ts: T0 + 1000 }),
      telemetry(d, 7, 2, { ts: T0 + 1000 }),
    ];
    await s.telemetry.write('gw-a', recs);
    await s.telemetry.write('gw-a', recs);
    await s.telemetry.write('gw-a', [recs[0]!]);
    const points = await s.telemetry.points(series, 0, T0 + 10_000);
    t.same(points.map((p) => `${p.ts - T0}:${p.boot}/${p.seq}`).sort(), ['1000:1/1', '1000:1/2', '1000:2/1', '1000:7/2']);
    t.match(points[0], { gatewayId: 'gw-a', deviceId: d, sensor: 'ok', rssi: -60 });
    await s.telemetry.write('gw-a', [
      telemetry(d, 3, 1, { ts: null, rxTs: T0 + 5000, tempC: null, sensor: 'disconnected', rssi: undefined }),
    ]);
    const nullTemp = (await s.telemetry.points(series, T0 + 5000, T0 + 5001))[0];
    t.match(nullTemp, { temperature: null, sensor: 'disconnected', rssi: null, boot: 3 }, 'null temperature and no rssi are kept as such');
    t.same(
      (await s.telemetry.points(series, 0, T0 + 10_000, 4)).map((p) => p.ts - T0),
      [1000, 1000, 1000, 1000],
      'points with a limit: the oldest first, no more than the limit',
    );
    t.same(
      (await s.telemetry.points(series, 0, T0 + 10_000, 5)).map((p) => p.ts - T0),
      [1000, 1000, 1000, 1000, 5000],
      'points with a limit: the newest last',
    );
    const buckets = await s.telemetry.history({ ...series, fromMs: T0, toMs: T0 + 10_000, everyMs: 5000 });
    t.same(
      buckets.map((b) => [b.ts - T0, b.count, b.min, b.max]),
      [[0, 4, 55.1, 55.2]],
      'buckets skip points without temperature',
    );
    t.same(
      buckets.map((b) => b.heaterOn),
      [0.5],
      "the heater's on-share per bucket (two of four readings on)",
    );
  });

  t.test('state: newest (boot, seq) wins, replays and older records change nothing, online set', async (t) => {
    const s = await make(t);
    const o = uid('org');
    const d = ids();
    await s.state.apply('gw-a', o, [telemetry(d, 2, 5), telemetry(d, 2, 4)], [], T0 + 6000);
    await s.state.apply('gw-a', o, [telemetry(d, 1, 99, { tempC: 90 })], [], T0 + 6000);
    let st = (await s.state.latest(o, [d], T0 + 6000)).get(d);
    t.match(st, { boot: 2, seq: 5, tempC: 55.5, gatewayId: 'gw-a', online: true });
    await s.state.apply('gw-b', o, [telemetry(d, 3, 0, { tempC: 40 })], [], T0 + 6000);
    st = (await s.state.latest(o, [d], T0 + 6000)).get(d);
    t.match(st, { boot: 3, seq: 0, tempC: 40, gatewayId: 'gw-b' }, 'a new boot wins');
    t.ok((await s.state.onlineDevices(o, T0 + 6000)).includes(d));
    await s.state.apply('gw-b', o, [], [status(d, 'offline', 3, T0 + 9000)], T0 + 9000);
    await s.state.apply('gw-b', o, [], [status(d, 'online', 3, T0 + 8000)], T0 + 9000);
    st = (await s.state.latest(o, [d], T0 + 9000)).get(d);
    t.match(st, { status: 'offline', online: false }, 'an older status does not overwrite a newer offline');
    t.notOk((await s.state.onlineDevices(o, T0 + 9000)).includes(d));
    t.notOk((await s.state.latest(o, [d], T0 + 10_000_000)).get(d)?.online, 'not heard within the TTL: offline');
    t.equal((await s.state.latest(o, [ids()], T0)).size, 0, 'unknown device: nothing');
    t.ok(await s.state.gatewayAlive('gw-b'));
    t.notOk(await s.state.gatewayAlive(uid('gw')));
  });

  t.test('state: `seen` only moves forward, apart from which record is newest', async (t) => {
    const s = await make(t);
    const o = uid('org');
    const d = ids();
    await s.state.apply('gw-a', o, [telemetry(d, 1, 10)], [], T0 + 20_000);
    const rx10 = telemetry(d, 1, 10).rxTs;
    // An older record received later (a drained backlog): seen moves, the state does not.
    await s.state.apply('gw-a', o, [telemetry(d, 1, 9, { rxTs: rx10 + 5_000, tempC: 30 })], [], T0 + 20_000);
    t.match((await s.state.latest(o, [d], T0 + 20_000)).get(d), { seq: 10, lastSeenMs: rx10 + 5_000 }, 'older record, later sighting');
    // A newer record received earlier than that sighting: the state moves, seen does not.
    await s.state.apply('gw-a', o, [telemetry(d, 1, 11, { rxTs: rx10 + 1_000, tempC: 31 })], [], T0 + 20_000);
    t.match(
      (await s.state.latest(o, [d], T0 + 20_000)).get(d),
      { seq: 11, tempC: 31, lastSeenMs: rx10 + 5_000 },
      'newer record, earlier sighting',
    );
    // The same for statuses, ordered by (boot, rxTs).
    await s.state.apply('gw-a', o, [], [status(d, 'offline', 1, rx10 + 9_000)], T0 + 20_000);
    t.match(
      (await s.state.latest(o, [d], T0 + 20_000)).get(d),
      { seq: 11, status: 'offline', lastSeenMs: rx10 + 9_000 },
      'a newer status, later',
    );
  });

  t.test('state: a batch of many kits (as from a fleet) leaves each kit at its own newest record', async (t) => {
    const s = await make(t);
    const o = uid('org');
    const kits = Array.from({ length: 450 }, ids);
    // Every kit has a stored state; then one batch brings, per kit, a newer or an older reading
    // (alternating), and for every third kit a status too.
    await s.state.apply(
      'gw-a',
      o,
      kits.map((d) => telemetry(d, 1, 10)),
      [],
      T0 + 20_000,
    );
    const later = kits.map((d, i) => telemetry(d, 1, i % 2 === 0 ? 11 : 9, { tempC: 40 + (i % 50) / 10 }));
    const statuses = kits.filter((_, i) => i % 3 === 0).map((d) => status(d, 'offline', 1, T0 + 30_000));
    await s.state.apply('gw-b', o, later, statuses, T0 + 30_000);
    const st = await s.state.latest(o, kits, T0 + 30_000);
    t.equal(st.size, kits.length);
    const wrong = kits.filter((d, i) => {
      const v = st.get(d);
      const newer = i % 2 === 0;
      const want = newer ? { seq: 11, tempC: 40 + (i % 50) / 10, gatewayId: 'gw-b' } : { seq: 10, tempC: telemetry(d, 1, 10).tempC };
      const statusWant = i % 3 === 0 ? 'offline' : null;
      return v?.seq !== want.seq || v?.tempC !== want.tempC || v?.status !== statusWant || (newer && v?.gatewayId !== want.gatewayId);
    });
    t.same(wrong, [], 'every kit: the newer reading applied, the older one ignored, its status kept');
  });

  t.test('telemetry and state: two orgs that both have a kit of one id have two kits', async (t) => {
    const s = await make(t);
    const d = ids();
    const [a, b, gwA, gwB] = [uid('org'), uid('org'), uid('gw'), uid('gw')];
    // The same (boot, seq) in both orgs with other readings: neither overwrites the other.
    await s.telemetry.write(gwA, [telemetry(d, 1, 1, { tempC: 55 }), telemetry(d, 1, 2, { tempC: 56 })]);
    await s.telemetry.write(gwB, [telemetry(d, 1, 1, { tempC: 70 })]);
    const seen = async (gatewayIds: string[]) =>
      (await s.telemetry.points({ deviceId: d, gatewayIds }, 0, T0 + 10_000)).map((p) => [p.gatewayId, p.seq, p.temperature]);
    t.same(
      await seen([gwA, uid('gw')]),
      [
        [gwA, 1, 55],
        [gwA, 2, 56],
      ],
      "org A's series: its own two points",
    );
    t.same(await seen([gwB]), [[gwB, 1, 70]], "org B's series: its one point, at the same (boot, seq)");
    t.same(await seen([]), [], 'an org without gateways has no points');
    const buckets = await s.telemetry.history({ deviceId: d, gatewayIds: [gwA], fromMs: 0, toMs: T0 + 10_000, everyMs: 3_600_000 });
    t.same(
      [buckets.reduce((n, x) => n + x.count, 0), Math.max(...buckets.map((x) => x.max ?? 0))],
      [2, 56],
      "A's buckets hold none of B's readings",
    );
    await s.state.apply(gwA, a, [telemetry(d, 1, 2, { tempC: 56 })], [], T0 + 6000);
    await s.state.apply(gwB, b, [telemetry(d, 1, 1, { tempC: 70 })], [status(d, 'offline', 1, T0 + 5000)], T0 + 6000);
    t.match((await s.state.latest(a, [d], T0 + 6000)).get(d), { gatewayId: gwA, seq: 2, tempC: 56, status: null, online: true });
    t.match((await s.state.latest(b, [d], T0 + 6000)).get(d), { gatewayId: gwB, seq: 1, tempC: 70, status: 'offline', online: false });
    t.same(await s.state.onlineDevices(a, T0 + 6000), [d], "A's kit is online");
    t.same(await s.state.onlineDevices(b, T0 + 6000), [], "B's kit is offline, and A's is not in B's set");
    t.equal((await s.state.latest(uid('org'), [d], T0 + 6000)).size, 0, 'a third org has no such kit');
  });

  t.test('meta: migrations are idempotent; replays are no-ops; ids are case-sensitive', async (t) => {
    const s = await make(t);
    const S = await org(s);
    t.same((await s.meta.migrate()).applied, [], 'nothing left to apply');
    const gw = uid('gw').toLowerCase();
    await s.meta.addGateway({ id: gw, name: gw, orgId: S.orgId, tokenHash: hashSecret(gw), nowMs: T0 });
    await t.rejects(
      s.meta.addGateway({ id: gw, name: gw, orgId: S.orgId, tokenHash: hashSecret(`${gw}x`), nowMs: T0 }),
      'duplicate gateway id',
    );
    t.match(await s.meta.gatewayByTokenHash(hashSecret(gw)), { id: gw, revokedMs: null });
    const d = ids();
    const e1 = event(d, { id: `Ev-${uid()}` });
    const e2 = event(d, { ...e1, id: e1.id.toLowerCase() });
    const b = metaBatch({
      devices: new Map([[d, T0]]),
      events: [e1, e2],
      audit: [audit(d)],
      commandResults: [commandResult(d)],
      cooks: [cook(d)],
    });
    t.same(await s.meta.ingest(gw, S.orgId, b, T0 + 1), { inserted: 5, duplicates: 0, alarms: [] });
    t.same(await s.meta.ingest(gw, S.orgId, b, T0 + 2), { inserted: 0, duplicates: 5, alarms: [] }, 'replay');
    t.equal((await s.meta.listEvents(S, { deviceId: d }, { limit: 10 })).items.length, 2, 'Ev-x and ev-x are two ids');
    t.match(await s.meta.getDevice(S, d), { gatewayId: gw, firstSeenMs: T0, lastSeenMs: T0 });
    await s.meta.ingest('gw-other', S.orgId, metaBatch({ devices: new Map([[d, T0 - 5]]) }), T0 + 3);
    t.match(await s.meta.getDevice(S, d), { gatewayId: gw, lastSeenMs: T0 }, 'an older sighting elsewhere does not move the device');
    await s.meta.ingest('gw-other', S.orgId, metaBatch({ devices: new Map([[d, T0 + 5]]) }), T0 + 3);
    t.match(
      await s.meta.getDevice(S, d),
      { gatewayId: gw, lastSeenMs: T0, firstSeenMs: T0 },
      'nor does a newer one: a sighting never moves a device',
    );
    const g = (await s.meta.listGateways(S, { limit: 500 })).items.find((x) => x.id === gw);
    t.match(g, { lastSeenMs: T0 + 2, backlog: { records: 3, bytes: 300 } }, 'gateway last seen and reported backlog');
    t.match(await s.meta.latestCook(S, d), { deviceId: d, version: 1, state: 'heating', spec: { targetC: 56.5 } });
    const newer = { ...cook(d, 2), state: 'holding' as const, updatedTs: T0 + 60_000 };
    await s.meta.ingest(gw, S.orgId, metaBatch({ cooks: [newer] }), T0 + 4);
    t.match(await s.meta.latestCook(S, d), { id: newer.id, version: 2, state: 'holding' }, 'the highest version is the current cook');
    const cmds = await s.meta.listCommandResults(S, d, { limit: 10 });
    t.match(cmds.items, [{ deviceId: d, gatewayId: gw, op: 'press', expect: 'on', outcome: 'acked', heater: true, attempts: 1 }]);
    const dl = metaBatch({ deadLetters: [0, 1, 2].map((index) => ({ index, reasons: [`records.${index}.x: bad`], payload: '{"x":1}' })) });
    await s.meta.ingest(gw, S.orgId, dl, T0 + 5);
    await s.meta.ingest(gw, S.orgId, dl, T0 + 6);
    const first = await s.meta.listDeadLetters(S, { limit: 2 });
    const rest = await s.meta.listDeadLetters(S, { limit: 2, after: first.next ?? undefined });
    const mine = [...first.items, ...rest.items].filter((x) => x.batchId === dl.batchId);
    t.same(
      mine.map((x) => [x.index, x.reasons[0], x.gatewayId]),
      [2, 1, 0].map((i) => [i, `records.${i}.x: bad`, gw]),
      'dead letters stored once, newest first, paged',
    );
    t.ok(await s.meta.revokeGateway(S, gw, T0 + 9));
    t.equal(await s.meta.gatewayByTokenHash(hashSecret(gw)), null, 'revoked');
  });

  t.test("meta: a gateway's token rotates in place; the old one is found through its grace only", async (t) => {
    const s = await make(t);
    const S = await org(s);
    const other = await org(s);
    const gw = uid('gw').toLowerCase();
    const [t0, t1, t2] = ['first', 'second', 'third'].map((x) => hashSecret(`${gw}-${x}`)) as [string, string, string];
    await s.meta.addGateway({ id: gw, name: gw, orgId: S.orgId, tokenHash: t0, nowMs: T0 });
    t.equal(await s.meta.rotateGatewayToken(other, gw, t1, T0, T0 + 60_000), false, "another org's scope cannot");
    t.equal(
      await s.meta.rotateGatewayToken({ orgId: S.orgId, gatewayId: 'elsewhere' }, gw, t1, T0, T0 + 60_000),
      false,
      'nor a scope of another gateway',
    );
    t.match(await s.meta.gatewayByTokenHash(t0), { id: gw }, 'unchanged');

    t.equal(await s.meta.rotateGatewayToken(S, gw, t1, T0, T0 + 60_000), true);
    t.match(await s.meta.gatewayByTokenHash(t1), { id: gw, orgId: S.orgId, previousTokenUntilMs: T0 + 60_000 }, 'the new token');
    t.equal(await s.meta.gatewayByTokenHash(t0), null, 'the old one is no longer the token');
    t.match(await s.meta.gatewayByPreviousTokenHash(t0, T0 + 59_999), { id: gw }, 'but is found in its grace');
    t.equal(await s.meta.gatewayByPreviousTokenHash(t0, T0 + 60_000), null, 'and not at its end');
    t.equal(await s.meta.gatewayByPreviousTokenHash(t1, T0), null, 'the current token is not a previous one');

    t.equal(await s.meta.rotateGatewayToken(S, gw, t2, T0 + 1, T0 + 1), true, 'no grace');
    t.equal(await s.meta.gatewayByPreviousTokenHash(t1, T0 + 1), null, 'the token before is gone at once');
    t.equal(await s.meta.gatewayByPreviousTokenHash(t0, T0 + 1), null, 'and the one before that');
    t.match(await s.meta.getGateway(S, gw), { previousTokenUntilMs: null });

    t.ok(await s.meta.revokeGateway(S, gw, T0 + 2));
    t.equal(await s.meta.rotateGatewayToken(S, gw, t0, T0 + 3, T0 + 60_000), false, 'a revoked gateway is not rotated');
    t.equal(await s.meta.gatewayByTokenHash(t2), null);
  });

  t.test('meta: filters and cursor pages, newest first', async (t) => {
    const s = await make(t);
    const S = await org(s);
    const d = ids();
    const evs = [0, 1, 2, 3, 4].map((i) =>
      event(d, { ts: T0 + (i % 3) * 1000, severity: i === 4 ? 'critical' : 'info', type: i % 2 ? 'odd' : 'even' }),
    );
    await s.meta.ingest('gw-p', S.orgId, metaBatch({ devices: new Map([[d, T0]]), events: evs }), T0);
    const walked: string[] = [];
    let after: (string | number)[] | undefined;
    for (;;) {
      const page = await s.meta.listEvents(S, { deviceId: d }, { limit: 2, after });
      walked.push(...page.items.map((e) => e.id));
      if (!page.next) break;
      after = page.next;
    }
    const expected = [...evs].sort((a, b) => b.ts - a.ts || (b.id < a.id ? -1 : 1)).map((e) => e.id);
    t.same(walked, expected, 'every event once, by (ts, id) descending');
    t.equal((await s.meta.listEvents(S, { deviceId: d, severities: ['alarm', 'critical'] }, { limit: 10 })).items.length, 1);
    t.equal((await s.meta.listEvents(S, { deviceId: d, type: 'odd' }, { limit: 10 })).items.length, 2);
    t.equal((await s.meta.listEvents(S, { deviceId: d, fromMs: T0 + 1000, toMs: T0 + 2000 }, { limit: 10 })).items.length, 2);
    t.equal((await s.meta.listEvents(S, { deviceId: d, type: "odd' OR '1'='1" }, { limit: 10 })).items.length, 0, 'quotes are data');
  });

  t.test('meta: desired cook versions, audit in the same transaction, API keys', async (t) => {
    const s = await make(t);
    const S = await org(s);
    const gw = uid('gw').toLowerCase();
    await s.meta.addGateway({ id: gw, name: gw, orgId: S.orgId, tokenHash: hashSecret(gw), nowMs: T0 });
    const d = ids();
    await s.meta.ingest(gw, S.orgId, metaBatch({ devices: new Map([[d, T0]]) }), T0);
    const au = {
      id: uid('aud'),
      orgId: S.orgId,
      gatewayId: null,
      ts: T0,
      actor: { type: 'user' as const, id: 'oscar' },
      deviceId: d,
      action: 'cook.set',
      reason: 'r',
      data: {},
    };
    t.equal(await s.meta.setDesiredCook(S, ids(), { targetC: 60 }, 'cook-x', T0, au), null, 'unknown device');
    const set = await s.meta.setDesiredCook(S, d, { targetC: 60 }, 'cook-1', T0, au);
    t.match(set, { deviceId: d, gatewayId: gw, cookId: 'cook-1', version: 1, spec: { targetC: 60 } });
    t.match(await s.meta.desiredFor(gw, 0), { version: 1, devices: [{ deviceId: d, cook: { id: 'cook-1', version: 1 } }] });
    t.equal(await s.meta.desiredFor(gw, 1), null);
    const stop = await s.meta.setDesiredCook(S, d, null, 'cook-2', T0 + 1, { ...au, id: uid('aud'), ts: T0 + 1, action: 'cook.stop' });
    t.match(stop, { cookId: 'cook-1', version: 2, spec: null }, 'a stop names the cook it stops');
    t.match(await s.meta.desiredFor(gw, 1), { version: 2, devices: [{ deviceId: d, cook: null }] });
    const trail = await s.meta.listAudit(S, { deviceId: d }, { limit: 10 });
    t.same(
      trail.items.map((a) => [a.action, a.actor.id, a.data.version]),
      [
        ['cook.stop', 'oscar', 2],
        ['cook.set', 'oscar', 1],
      ],
    );
    const kid = `key-${uid().slice(2, 14)}`;
    await s.meta.addApiKey({
      id: kid,
      keyHash: hashSecret(kid),
      role: 'operator',
      owner: 'oscar',
      orgId: S.orgId,
      gatewayId: null,
      nowMs: T0,
    });
    t.match(await s.meta.apiKeyByHash(hashSecret(kid)), { id: kid, role: 'operator', owner: 'oscar' });
    t.ok(await s.meta.revokeApiKey(S, kid, T0));
    t.notOk(await s.meta.revokeApiKey(S, kid, T0), 'already revoked');
    t.equal(await s.meta.apiKeyByHash(hashSecret(kid)), null);
  });

  t.test('meta: a cook changed at the kitchen becomes the desired cook when its stamp is later (docs/sync.md)', async (t) => {
    const s = await make(t);
    const S = await org(s);
    const gw = uid('gw').toLowerCase();
    await s.meta.addGateway({ id: gw, name: gw, orgId: S.orgId, tokenHash: hashSecret(gw), nowMs: T0 });
    const d = ids();
    const devices = new Map([[d, T0]]);
    await s.meta.ingest(gw, S.orgId, metaBatch({ devices }), T0);
    const au = (ts: number) => ({
      id: uid('aud'),
      orgId: S.orgId,
      gatewayId: null,
      ts,
      actor: { type: 'user' as const, id: 'oscar' },
      deviceId: d,
      action: 'cook.set',
      reason: 'r',
      data: {},
    });
    type State = 'heating' | 'holding' | 'done' | 'stopped';
    const rec = (cookId: string, version: number, state: State, targetC: number, updatedTs: number) => ({
      kind: 'cook' as const,
      id: cookRecordId(cookId, version, state),
      deviceId: d,
      version,
      state,
      spec: { targetC },
      startedTs: T0,
      updatedTs,
    });
    const ingest = (cooks: ReturnType<typeof rec>[], at: number) => s.meta.ingest(gw, S.orgId, metaBatch({ devices, cooks }), at);

    await s.meta.setDesiredCook(S, d, { targetC: 60 }, 'cook-1', T0 + 1000, au(T0 + 1000));
    await ingest([rec('ck-old', 1, 'heating', 50, T0 + 500)], T0 + 1100);
    t.match(
      await s.meta.getDesiredCook(S, d),
      { cookId: 'cook-1', version: 1, updatedTs: T0 + 1000 },
      'an older kitchen cook arriving late is ignored',
    );
    await ingest([rec('cook-1', 1, 'heating', 60, T0 + 1000)], T0 + 1200);
    t.equal(await s.meta.desiredFor(gw, 1), null, "the gateway's echo of the cloud cook changes nothing");

    // Changed at the kitchen after the cloud's change; its records land in any order.
    const local = [rec('ck-local', 1, 'holding', 57, T0 + 2000), rec('ck-local', 1, 'heating', 57, T0 + 2000)];
    await ingest(local, T0 + 2100);
    t.match(
      await s.meta.getDesiredCook(S, d),
      { cookId: 'ck-local', spec: { targetC: 57 }, updatedTs: T0 + 2000, version: 2 },
      'the later kitchen cook is adopted',
    );
    t.match(await s.meta.desiredFor(gw, 1), { version: 2, devices: [{ deviceId: d, cook: { id: 'ck-local', updatedTs: T0 + 2000 } }] });
    await ingest(local, T0 + 2200);
    t.equal(await s.meta.desiredFor(gw, 2), null, 'a replay adopts nothing new');

    // The user changes it in the cloud with a clock behind the gateway's: stamped after the adopted cook all the same.
    const set = await s.meta.setDesiredCook(S, d, { targetC: 62 }, 'cook-2', T0 + 1500, au(T0 + 1500));
    t.match(set, { cookId: 'cook-2', version: 3, updatedTs: T0 + 2001 }, 'a cloud change is stamped after the cook it replaces');
    await ingest([rec('ck-local', 1, 'done', 57, T0 + 2000)], T0 + 2300);
    t.match(
      await s.meta.getDesiredCook(S, d),
      { cookId: 'cook-2', version: 3 },
      'a late record of the replaced cook does not take it back',
    );
    await ingest([rec('cook-2', 3, 'done', 62, T0 + 2001)], T0 + 2400);
    t.match(
      await s.meta.getDesiredCook(S, d),
      { cookId: 'cook-2', spec: null, version: 4 },
      'the desired cook finishing ends the desired entry',
    );
    t.match(
      await s.meta.latestCook(S, d),
      { id: cookRecordId('cook-2', 3, 'done'), state: 'done' },
      'the reported cook is the latest by stamp',
    );
  });

  t.test('meta: cook history by start time, by cook id (LIKE wildcards in ids are literal) and the next cook', async (t) => {
    const s = await make(t);
    const d = ids();
    const gw = uid('gw').toLowerCase();
    const devices = new Map([[d, T0]]);
    const base = `ck_${uid('x')}`; // "_" is a LIKE wildcard: it must match only itself
    const rec = (cookId: string, version: number, state: 'heating' | 'stopped', startedTs: number) => ({
      kind: 'cook' as const,
      id: cookRecordId(cookId, version, state),
      deviceId: d,
      version,
      state,
      spec: { targetC: 60 },
      startedTs,
      updatedTs: startedTs + version,
    });
    const cooks = [
      rec(base, 1, 'heating', T0),
      rec(base, 2, 'stopped', T0),
      rec(`${base.replace('_', 'X')}`, 1, 'heating', T0 + 10),
      rec(`${base}-2`, 1, 'heating', T0 + 50),
    ];
    await s.meta.ingest(gw, DEFAULT_SCOPE.orgId, metaBatch({ devices, cooks }), T0 + 100);
    t.same(
      (await s.meta.cookRecords(DEFAULT_SCOPE, base)).map((r) => r.id),
      [cookRecordId(base, 1, 'heating'), cookRecordId(base, 2, 'stopped')],
      'the records of one cook, oldest first; "_" is not a wildcard',
    );
    t.same(
      (await s.meta.cooksStarted(DEFAULT_SCOPE, T0, T0 + 20, 1000))
        .filter((r) => r.deviceId === d)
        .map((r) => r.startedTs)
        .sort(),
      [T0, T0, T0 + 10],
      'cooks started in [from, to)',
    );
    t.equal(await s.meta.nextCookStart(DEFAULT_SCOPE, d, T0), T0 + 10, 'the next cook on the device');
    t.equal(await s.meta.nextCookStart(DEFAULT_SCOPE, d, T0 + 50), null, 'none after the last');
    t.same(await s.meta.cooksStarted({ orgId: 'another-org' }, T0, T0 + 20, 1000), [], 'another org sees none of them');
    t.same(
      (await s.meta.cookChanges(DEFAULT_SCOPE, d, T0 + 5, T0 + 60)).map((r) => [r.updatedTs - T0, r.state]),
      [
        [2, 'stopped'],
        [11, 'heating'],
        [51, 'heating'],
      ],
      "a device's cook changes in range, after the one the range starts in (the target steps of a chart)",
    );
    t.same(await s.meta.cookChanges({ orgId: 'another-org' }, d, T0, T0 + 60), [], 'another org sees none of them');
  });

  t.test('meta: device ownership: registry, first report claims, foreign (same org) and revoked refused, moves, org scope', async (t) => {
    const s = await make(t);
    const S = await org(s);
    const other = await org(s);
    const [gw, gw2, gwx] = [uid('gw'), uid('gw'), uid('gw')].map((x) => x.toLowerCase()) as [string, string, string];
    for (const [id, o] of [
      [gw, S],
      [gw2, S],
      [gwx, other],
    ] as const) {
      await s.meta.addGateway({ id, name: id, orgId: o.orgId, tokenHash: hashSecret(id), nowMs: T0 });
    }
    const [a, b] = [ids(), ids()];
    const refused = (g: string, o: Scope, added: string[], revoked: string[], seen: string[], at = T0) =>
      s.meta.resolveDevices(g, o.orgId, added.length + revoked.length ? [{ added, revoked }] : [], seen, at).then((m) => [...m.refused]);

    t.same(await refused(gw, S, [a], [], [a, b]), [], 'registered (a) and first reported (b): both owned by gw');
    t.match(await s.meta.getDevice(S, a), { gatewayId: gw, orgId: S.orgId, revokedMs: null });
    t.match(await s.meta.getDevice(S, b), { gatewayId: gw });
    t.same(await refused(gw2, S, [], [], [a]), [[a, 'foreign']], 'another gateway of the same org');
    t.equal(await s.meta.getDevice(other, a), null, 'another org does not see the device');
    t.equal((await s.meta.listDevices(other, { limit: 10 })).items.length, 0);
    const ownA = await s.meta.getDevice(S, a);
    t.same(await refused(gwx, other, [a], [], [a], T0 + 5), [], "another org's registry report of the same id: no refusal");
    t.match(
      await s.meta.getDevice(other, a),
      { id: a, orgId: other.orgId, gatewayId: gwx, firstSeenMs: T0 + 5, revokedMs: null },
      'but its own device',
    );
    t.same(await s.meta.getDevice(S, a), ownA, "and the org's device is unchanged");

    t.same(await refused(gw, S, [], [b], [b], T0 + 1), [[b, 'revoked']], 'revoked by its own gateway');
    t.match(await s.meta.getDevice(S, b), { gatewayId: gw, revokedMs: T0 + 1 });
    t.same(await refused(gw2, S, [b], [], [b]), [[b, 'foreign']], 'a revoked device is not free for another gateway');
    t.same(
      [...(await s.meta.resolveDevices(gw, S.orgId, [{ added: [], revoked: [b], ts: T0 + 9 }], [b], T0 + 10)).since],
      [[b, T0 + 1]],
      'revoked again (the whole registry at a start): the line stays at the first revocation (ADR 082)',
    );
    t.same(await refused(gw, S, [b], [], [b], T0 + 2), [], 'added again');
    t.same(
      [...(await s.meta.resolveDevices(gw, S.orgId, [{ added: [b], revoked: [] }], [b], T0 + 11)).epochs],
      [[b, T0 + 2]],
      "added after a revocation: a provisioning epoch, the add's stamp, named again with each add (ADR 082)",
    );
    t.match(await s.meta.getDevice(S, b), { gatewayId: gw, revokedMs: null }, 'and no longer revoked');

    // A new gateway's first batch names its whole fleet: more devices than one statement's chunk,
    // and reports in order, the last word winning (added, then revoked, in two reports).
    const fleet = Array.from({ length: 1_203 }, () => ids());
    const [late, back] = [fleet[7] as string, fleet[1_100] as string];
    const reports = [
      { added: fleet, revoked: [] },
      { added: [], revoked: [late, back] },
      { added: [back], revoked: [] },
    ];
    t.same(
      [...(await s.meta.resolveDevices(gw, S.orgId, reports, fleet, T0 + 4)).refused],
      [[late, 'revoked']],
      'a 1,203-kit registry: one revoked',
    );
    const rows = await s.meta.listDevices(S, { limit: 2_000 }, gw);
    const mine = new Map(rows.items.map((d) => [d.id, d]));
    t.ok(
      fleet.every((id) => mine.get(id)?.gatewayId === gw),
      'every device of the fleet claimed by its gateway',
    );
    t.equal(mine.get(late)?.revokedMs, T0 + 4, 'added then revoked in the same batch: revoked');
    t.equal(mine.get(back)?.revokedMs, null, 'revoked then added again: not revoked');
    t.equal(fleet.filter((id) => mine.get(id)?.revokedMs !== null).length, 1, 'and no other');

    const au = (action: string) => userAudit(S.orgId, a, action);
    await s.meta.setDesiredCook(S, a, { targetC: 58 }, 'cook-m', T0, au('cook.set'));
    t.match(await s.meta.desiredFor(gw, 0), { version: 1, devices: [{ deviceId: a }] });
    t.equal(await s.meta.moveDevice(other, b, gwx, T0, au('device.move')), null, 'not from another org');
    t.equal(await s.meta.moveDevice(S, a, gwx, T0, au('device.move')), null, 'not to a gateway of another org');
    t.match(await s.meta.moveDevice(S, a, gw2, T0 + 3, au('device.move')), { id: a, gatewayId: gw2 });
    t.same(await refused(gw, S, [], [], [a]), [[a, 'foreign']], 'the old gateway is refused after the move');
    t.same(
      [...(await s.meta.resolveDevices(gw, S.orgId, [], [a], T0 + 12)).since],
      [[a, T0 + 3]],
      'but what it stamped up to the move is still taken (ADR 082)',
    );
    const stranger = await s.meta.resolveDevices(gw2, S.orgId, [], [b], T0 + 12);
    t.same([[...stranger.refused], [...stranger.since]], [[[b, 'foreign']], []], 'a gateway that never owned the kit is refused whole');
    t.same(await refused(gw2, S, [], [], [a]), [], 'the new one accepted');
    t.match(await s.meta.desiredFor(gw2, 0), { devices: [{ deviceId: a, cook: { id: 'cook-m' } }] }, 'the desired cook moves along');
    t.same((await s.meta.desiredFor(gw, 1))?.devices, [], 'and leaves the old gateway');
    t.match((await s.meta.listAudit(S, { action: 'device.move' }, { limit: 10 })).items, [{ deviceId: a, data: { from: gw, to: gw2 } }]);
    t.equal((await s.meta.listAudit(other, {}, { limit: 10 })).items.length, 0, "the org's audit is its own");
    t.equal(await s.meta.setDesiredCook(other, b, { targetC: 58 }, 'cook-x', T0, au('cook.set')), null, "no cook on another org's device");
  });

  t.test('meta: device ids are per org: one id in two orgs is two devices (owner, revocation, desired cook, moves)', async (t) => {
    const s = await make(t);
    const [S, O] = [await org(s), await org(s)];
    const [gs, gs2, go, go2] = Array.from({ length: 4 }, () => uid('gw').toLowerCase()) as [string, string, string, string];
    for (const [id, o] of [
      [gs, S],
      [gs2, S],
      [go, O],
      [go2, O],
    ] as const) {
      await s.meta.addGateway({ id, name: id, orgId: o.orgId, tokenHash: hashSecret(id), nowMs: T0 });
    }
    const a = ids();
    const resolve = (g: string, o: Scope, added: string[], revoked: string[], seen: string[], at: number) =>
      s.meta.resolveDevices(g, o.orgId, added.length + revoked.length ? [{ added, revoked }] : [], seen, at).then((m) => [...m.refused]);
    const au = (o: Scope, action: string) => userAudit(o.orgId, a, action);

    t.same(await resolve(gs, S, [a], [], [a], T0), [], 'registered in org S');
    t.same(await resolve(go, O, [], [], [a], T0 + 10), [], 'first reported in org O: claimed there, no refusal');
    t.match(await s.meta.getDevice(S, a), { orgId: S.orgId, gatewayId: gs, firstSeenMs: T0, lastSeenMs: T0, revokedMs: null });
    t.match(await s.meta.getDevice(O, a), { orgId: O.orgId, gatewayId: go, firstSeenMs: T0 + 10, lastSeenMs: T0 + 10, revokedMs: null });
    t.same(await s.meta.orgsOfDevice(a), [S.orgId, O.orgId].sort(), 'both orgs have the id');
    t.same(await s.meta.orgsOfDevice(ids()), [], 'an id no org has');
    t.same(await s.meta.gatewayIdsOf(S.orgId), [gs, gs2].sort(), "the org's gateways");
    t.same(await resolve(go2, O, [a], [], [a], T0 + 11), [[a, 'foreign']], "org O's other gateway is refused, as within any org");
    t.same(await resolve(gs2, S, [], [], [a], T0 + 11), [[a, 'foreign']], "and so is org S's");
    t.match(await s.meta.getDevice(O, a), { gatewayId: go }, 'owners unchanged');
    t.match(await s.meta.getDevice(S, a), { gatewayId: gs });

    await s.meta.ingest(go, O.orgId, metaBatch({ devices: new Map([[a, T0 + 500]]) }), T0 + 500);
    t.match(await s.meta.getDevice(O, a), { lastSeenMs: T0 + 500 }, "a sighting moves its org's device");
    t.match(await s.meta.getDevice(S, a), { lastSeenMs: T0 }, "not the other org's");

    t.same(await resolve(go, O, [], [a], [a], T0 + 20), [[a, 'revoked']], 'revoked in org O');
    t.match(await s.meta.getDevice(S, a), { revokedMs: null }, 'not in org S');
    t.same(await resolve(gs, S, [], [], [a], T0 + 21), [], "org S's gateway still reports it");
    t.same(await resolve(gs, S, [], [a], [], T0 + 22), [[a, 'revoked']], 'revoked in org S');
    t.same(await resolve(go, O, [a], [], [a], T0 + 23), [], 'added again in org O');
    t.match(await s.meta.getDevice(S, a), { revokedMs: T0 + 22 }, 'org S keeps its revocation');
    t.match(await s.meta.getDevice(O, a), { revokedMs: null });
    t.same(await resolve(gs, S, [a], [], [a], T0 + 24), [], 'added again in org S');

    t.match(await s.meta.setDesiredCook(S, a, { targetC: 58 }, 'cook-s', T0 + 100, au(S, 'cook.set')), {
      gatewayId: gs,
      cookId: 'cook-s',
      version: 1,
    });
    t.equal(await s.meta.getDesiredCook(O, a), null, "org S's desired cook is not org O's");
    t.equal(await s.meta.desiredFor(go, 0), null, "org O's gateway hears nothing");
    // Set with a clock behind org S's change: stamped after its own org's desired cook only (it has none).
    t.match(
      await s.meta.setDesiredCook(O, a, { targetC: 61 }, 'cook-o', T0 + 50, au(O, 'cook.set')),
      { gatewayId: go, cookId: 'cook-o', version: 1, updatedTs: T0 + 50 },
      "org O's own desired cook, stamped by its own clock",
    );
    t.match(
      await s.meta.getDesiredCook(S, a),
      { gatewayId: gs, cookId: 'cook-s', spec: { targetC: 58 }, version: 1, updatedTs: T0 + 100 },
      "org O's desired cook does not replace org S's",
    );
    const desired = async (gw: string) => (await s.meta.desiredFor(gw, 0))?.devices.map((x) => [x.deviceId, x.cook?.id, x.cook?.spec]);
    t.same(await desired(gs), [[a, 'cook-s', { targetC: 58 }]], "each gateway hears its own org's desired cook");
    t.same(await desired(go), [[a, 'cook-o', { targetC: 61 }]]);

    // A cook changed at org O's kitchen, stamped after org O's desired cook (but before org S's): adopted in org O only.
    const kitchen = {
      kind: 'cook' as const,
      id: cookRecordId('ck-kitchen', 1, 'heating'),
      deviceId: a,
      version: 1,
      state: 'heating' as const,
      spec: { targetC: 63 },
      startedTs: T0 + 80,
      updatedTs: T0 + 80,
    };
    await s.meta.ingest(go, O.orgId, metaBatch({ devices: new Map([[a, T0 + 300]]), cooks: [kitchen] }), T0 + 300);
    t.match(await s.meta.getDesiredCook(O, a), { cookId: 'ck-kitchen', spec: { targetC: 63 }, version: 2 }, 'adopted in org O');
    t.match(await s.meta.getDesiredCook(S, a), { cookId: 'cook-s', spec: { targetC: 58 }, version: 1 }, 'not in org S');
    t.equal(await s.meta.desiredFor(gs, 1), null, "org S's gateway hears nothing new");
    t.equal(await s.meta.latestCook(S, a), null, "org O's cook records are not org S's");

    t.match(await s.meta.moveDevice(S, a, gs2, T0 + 400, au(S, 'device.move')), { id: a, orgId: S.orgId, gatewayId: gs2 });
    t.match(await s.meta.getDevice(O, a), { gatewayId: go }, "a move in org S leaves org O's device");
    t.same(await desired(gs2), [[a, 'cook-s', { targetC: 58 }]], "org S's desired cook moves along");
    t.same(await desired(go), [[a, 'ck-kitchen', { targetC: 63 }]], "org O's stays with its gateway");
    t.same(await resolve(go, O, [], [], [a], T0 + 401), [], "and org O's gateway keeps reporting its device");
    t.equal(await s.meta.moveDevice(O, a, gs, T0 + 402, au(O, 'device.move')), null, "not to org S's gateway");
    t.match(await s.meta.moveDevice(O, a, go2, T0 + 403, au(O, 'device.move')), { orgId: O.orgId, gatewayId: go2 });
    t.match(await s.meta.getDevice(S, a), { gatewayId: gs2 }, "a move in org O leaves org S's device");
    t.match(await s.meta.getDesiredCook(S, a), { gatewayId: gs2, cookId: 'cook-s' });
    t.match(await s.meta.getDesiredCook(O, a), { gatewayId: go2, cookId: 'ck-kitchen' });
    const moves = async (o: Scope) =>
      (await s.meta.listAudit(o, { action: 'device.move' }, { limit: 10 })).items.map((x) => [x.deviceId, x.data.from, x.data.to]);
    t.same(await moves(S), [[a, gs, gs2]], "each org's audit has its own move");
    t.same(await moves(O), [[a, go, go2]]);
  });

  t.test('meta: cook presets per org, by name, paged; another org sees none of them', async (t) => {
    const s = await make(t);
    const S = await org(s);
    const other = await org(s);
    t.same((await s.meta.listPresets(S, { limit: 10 })).items, [], 'a new org has no presets');
    t.same(await s.meta.putPreset(S, 'steak', { targetC: 56.5, durationMin: 90, food: 'steak', thicknessMm: 30 }, T0), {
      name: 'steak',
      spec: { targetC: 56.5, durationMin: 90, food: 'steak', thicknessMm: 30 },
      updatedTs: T0,
    });
    await s.meta.putPreset(S, 'egg', { targetC: 63, durationMin: 45 }, T0 + 1);
    await s.meta.putPreset(S, 'steak', { targetC: 55, durationMin: 120 }, T0 + 2);
    t.same(
      await s.meta.getPreset(S, 'steak'),
      { name: 'steak', spec: { targetC: 55, durationMin: 120 }, updatedTs: T0 + 2 },
      'a put replaces',
    );
    await s.meta.putPreset(S, 'zander', { targetC: 50, durationMin: 20 }, T0 + 3);
    const first = await s.meta.listPresets(S, { limit: 2 });
    t.same(
      first.items.map((p) => p.name),
      ['egg', 'steak'],
      'by name',
    );
    t.same(first.next, ['steak']);
    const second = await s.meta.listPresets(S, { limit: 2, after: first.next! });
    t.same(
      second.items.map((p) => p.name),
      ['zander'],
    );
    t.equal(second.next, null);

    t.equal(await s.meta.getPreset(other, 'steak'), null, "another org cannot read the org's preset");
    t.equal(await s.meta.deletePreset(other, 'steak'), false, 'nor delete it');
    await s.meta.putPreset(other, 'steak', { targetC: 70 }, T0 + 4);
    t.match(await s.meta.getPreset(S, 'steak'), { spec: { targetC: 55 } }, 'the same name in another org is another preset');
    t.same(
      (await s.meta.listPresets(other, { limit: 10 })).items.map((p) => p.name),
      ['steak'],
    );
    t.equal(await s.meta.deletePreset(S, 'steak'), true);
    t.equal(await s.meta.deletePreset(S, 'steak'), false, 'gone');
    t.equal(await s.meta.getPreset(S, 'steak'), null);
    t.match(await s.meta.getPreset(other, 'steak'), { spec: { targetC: 70 } }, "the other org's preset stays");
  });

  t.test("meta: countLive counts one org's live objects of a kind (the org caps)", async (t) => {
    const s = await make(t);
    const S = await org(s);
    const other = await org(s);
    const counts = async (o: Scope) =>
      Promise.all((['gateways', 'apiKeys', 'users', 'channels', 'presets'] as const).map((k) => s.meta.countLive(o.orgId, k)));
    t.same(await counts(S), [0, 0, 0, 0, 0], 'a new org has nothing');
    const gws = [uid('gw').toLowerCase(), uid('gw').toLowerCase()];
    for (const gw of gws) await s.meta.addGateway({ id: gw, name: gw, orgId: S.orgId, tokenHash: hashSecret(gw), nowMs: T0 });
    await s.meta.revokeGateway(S, gws[0]!, T0);
    const keys = [`key-${uid().slice(2, 14)}`, `key-${uid().slice(2, 14)}`];
    for (const id of keys)
      await s.meta.addApiKey({ id, keyHash: hashSecret(id), role: 'viewer', owner: 'v', orgId: S.orgId, gatewayId: null, nowMs: T0 });
    await s.meta.revokeApiKey(S, keys[1]!, T0);
    const email = `${uid('u').toLowerCase()}@example.com`;
    await s.meta.users.addUser({
      id: uid('usr'),
      orgId: S.orgId,
      email,
      role: 'viewer',
      serviceAdmin: false,
      passwordHash: null,
      nowMs: T0,
    });
    const chs = [`nch-${uid().slice(2, 14)}`, `nch-${uid().slice(2, 14)}`];
    for (const id of chs) await s.meta.notify.addChannel(S, { id, spec: { kind: 'ntfy', url: 'https://ntfy.example/k' }, nowMs: T0 });
    await s.meta.notify.deleteChannel(S, chs[0]!, T0);
    await s.meta.putPreset(S, 'egg', { targetC: 63 }, T0);
    await s.meta.putPreset(S, 'egg', { targetC: 64 }, T0 + 1);
    await s.meta.putPreset(S, 'steak', { targetC: 56 }, T0);
    await s.meta.putPreset(S, 'fish', { targetC: 50 }, T0);
    await s.meta.deletePreset(S, 'fish');
    t.same(
      await counts(S),
      [1, 1, 1, 1, 2],
      'revoked gateways and keys, removed channels, deleted presets do not count; a replaced preset is one',
    );
    t.same(await counts(other), [0, 0, 0, 0, 0], "another org's objects are not counted");
  });

  t.test('meta: withOrgLock commits what its body wrote, and rolls all of it back when the body throws', async (t) => {
    const s = await make(t);
    const S = await org(s);
    const gw = uid('gw').toLowerCase();
    const value = await s.meta.withOrgLock(S.orgId, async (m) => {
      await m.addGateway({ id: gw, name: gw, orgId: S.orgId, tokenHash: hashSecret(gw), nowMs: T0 });
      await m.putPreset(S, 'egg', { targetC: 63 }, T0);
      return m.countLive(S.orgId, 'gateways');
    });
    t.equal(value, 1, 'the body reads its own writes');
    t.same([await s.meta.countLive(S.orgId, 'gateways'), await s.meta.countLive(S.orgId, 'presets')], [1, 1], 'committed');
    const gw2 = uid('gw').toLowerCase();
    await t.rejects(
      s.meta.withOrgLock(S.orgId, async (m) => {
        await m.addGateway({ id: gw2, name: gw2, orgId: S.orgId, tokenHash: hashSecret(gw2), nowMs: T0 });
        await m.notify.addChannel(S, { id: `nch-${uid().slice(2, 14)}`, spec: { kind: 'ntfy', url: 'https://ntfy.example/k' }, nowMs: T0 });
        throw new Error('refused after writing');
      }),
      /refused after writing/,
    );
    t.same(
      [await s.meta.countLive(S.orgId, 'gateways'), await s.meta.countLive(S.orgId, 'channels')],
      [1, 0],
      'nothing of a body that threw is left',
    );
  });

  t.test('meta: removeUser takes an org user with its invitations and sessions, and nothing of another', async (t) => {
    const s = await make(t);
    const S = await org(s);
    const other = await org(s);
    const add = async (o: Scope) => {
      const id = `usr-${uid().slice(2, 14)}`;
      await s.meta.users.addUser({
        id,
        orgId: o.orgId,
        email: `${id}@example.com`,
        role: 'viewer',
        serviceAdmin: false,
        passwordHash: null,
        nowMs: T0,
      });
      await s.meta.users.addInvite({
        tokenHash: hashSecret(`inv-${id}`),
        userId: id,
        orgId: o.orgId,
        nowMs: T0,
        expiresMs: T0 + 86_400_000,
      });
      await s.meta.users.setSession({
        idHash: hashSecret(`ses-${id}`),
        userId: id,
        orgId: o.orgId,
        expiresMs: T0 + 86_400_000,
        data: '{}',
      });
      return id;
    };
    const [mine, theirs] = [await add(S), await add(other)];
    t.equal(await s.meta.users.removeUser(S, theirs, T0), null, "another org's user is not the org's to remove");
    t.match(await s.meta.users.removeUser(S, mine, T0), { id: mine, email: `${mine}@example.com`, role: 'viewer' });
    t.equal(await s.meta.users.userById(mine), null, 'gone');
    t.equal(await s.meta.users.peekInvite(hashSecret(`inv-${mine}`), T0), null, 'with its invitation');
    t.equal(await s.meta.users.getSession(hashSecret(`ses-${mine}`), T0), null, 'and its session');
    t.equal(await s.meta.users.removeUser(S, mine, T0), null, 'once');
    const boss = `usr-${uid().slice(2, 14)}`;
    await s.meta.users.addUser({
      id: boss,
      orgId: S.orgId,
      email: `${boss}@example.com`,
      role: 'admin',
      serviceAdmin: false,
      passwordHash: null,
      nowMs: T0,
    });
    t.equal(await s.meta.users.removeUser(S, boss, T0), 'last-admin', "the org's only admin stays");
    t.match(await s.meta.users.userById(boss), { id: boss });
    t.match(await s.meta.users.userById(theirs), { id: theirs }, "the other org's user stays");
    t.equal(await s.meta.users.peekInvite(hashSecret(`inv-${theirs}`), T0), theirs, 'with its invitation');
    t.not(await s.meta.users.getSession(hashSecret(`ses-${theirs}`), T0), null, 'and its session');
  });

  t.test("meta: changeRole changes an org user's role, never takes the org's last admin, and nothing of another org", async (t) => {
    const s = await make(t);
    const S = await org(s);
    const other = await org(s);
    const add = async (o: Scope, role: 'viewer' | 'admin') => {
      const id = `usr-${uid().slice(2, 14)}`;
      await s.meta.users.addUser({
        id,
        orgId: o.orgId,
        email: `${id}@example.com`,
        role,
        serviceAdmin: false,
        passwordHash: 'h',
        nowMs: T0,
      });
      return id;
    };
    const [boss, cook, theirs] = [await add(S, 'admin'), await add(S, 'viewer'), await add(other, 'viewer')];
    const changed = await s.meta.users.changeRole(S, cook, 'operator', T0);
    t.match(changed, {
      oldRole: 'viewer',
      user: { id: cook, orgId: S.orgId, email: `${cook}@example.com`, role: 'operator', passwordSet: true },
    });
    t.notOk(changed && typeof changed === 'object' && 'passwordHash' in changed.user, 'never the password hash');
    t.equal((await s.meta.users.userById(cook))?.role, 'operator', 'stored');
    t.match(
      await s.meta.users.changeRole(S, cook, 'operator', T0),
      { oldRole: 'operator', user: { role: 'operator' } },
      'the same role: unchanged',
    );

    t.equal(await s.meta.users.changeRole(S, boss, 'viewer', T0), 'last-admin', "the org's only admin keeps the role");
    t.equal((await s.meta.users.userById(boss))?.role, 'admin');
    t.match(await s.meta.users.changeRole(S, boss, 'admin', T0), { oldRole: 'admin' }, 'staying admin is no demotion');
    t.match(await s.meta.users.changeRole(S, cook, 'admin', T0), { oldRole: 'operator', user: { role: 'admin' } }, 'a promotion');
    t.match(
      await s.meta.users.changeRole(S, boss, 'viewer', T0),
      { oldRole: 'admin', user: { role: 'viewer' } },
      'with another admin, a demotion',
    );
    t.equal(await s.meta.users.changeRole(S, cook, 'operator', T0), 'last-admin', 'and now the promoted one is the last admin');

    t.equal(await s.meta.users.changeRole(S, theirs, 'admin', T0), null, "another org's user is not the org's to change");
    t.equal((await s.meta.users.userById(theirs))?.role, 'viewer', 'and stays as it was');
    t.equal(await s.meta.users.changeRole(S, `usr-${uid().slice(2, 14)}`, 'viewer', T0), null, 'an unknown id');
  });

  t.test("meta: a demotion revokes the keys the user made above the new role; a removal every one; no one else's", async (t) => {
    const s = await make(t);
    const S = await org(s);
    const addUser = async (role: 'admin' | 'viewer') => {
      const id = `usr-${uid().slice(2, 14)}`;
      await s.meta.users.addUser({
        id,
        orgId: S.orgId,
        email: `${id}@example.com`,
        role,
        serviceAdmin: false,
        passwordHash: null,
        nowMs: T0,
      });
      return id;
    };
    const [dan, fay] = [await addUser('admin'), await addUser('admin')];
    const key = async (role: 'admin' | 'operator' | 'viewer', createdBy: string | null) => {
      const id = `key-${uid().slice(2, 14)}`;
      await s.meta.addApiKey({ id, keyHash: hashSecret(id), role, owner: 'o', orgId: S.orgId, gatewayId: null, createdBy, nowMs: T0 });
      return id;
    };
    const [dA, dO, dV, fA, cliA] = [
      await key('admin', dan),
      await key('operator', dan),
      await key('viewer', dan),
      await key('admin', fay),
      await key('admin', null),
    ];
    t.match(await s.meta.apiKeyByHash(hashSecret(dA)), { createdBy: dan });
    t.match(await s.meta.users.changeRole(S, dan, 'operator', T0 + 1), { oldRole: 'admin', revokedKeys: [dA] }, 'the admin key');
    const live = async (id: string) => (await s.meta.apiKeyByHash(hashSecret(id))) !== null;
    t.same([await live(dA), await live(dO), await live(dV), await live(fA), await live(cliA)], [false, true, true, true, true]);
    const removed = await s.meta.users.removeUser(S, dan, T0 + 2);
    t.same(removed && removed !== 'last-admin' ? removed.revokedKeys.sort() : null, [dO, dV].sort(), 'the rest with the removal');
    t.same([await live(dO), await live(dV), await live(fA), await live(cliA)], [false, false, true, true], "fay's and the CLI's stay");
  });

  t.test('meta: two admins taken away at once (demoted, removed) leave the org one of them', async (t) => {
    const s = await make(t);
    const admins = async () => {
      const S = await org(s);
      const ids = [`usr-${uid().slice(2, 14)}`, `usr-${uid().slice(2, 14)}`] as const;
      for (const id of ids)
        await s.meta.users.addUser({
          id,
          orgId: S.orgId,
          email: `${id}@example.com`,
          role: 'admin',
          serviceAdmin: false,
          passwordHash: null,
          nowMs: T0,
        });
      return { S, ids };
    };
    const adminsLeft = async (S: Scope) => (await s.meta.users.listUsers(S, { limit: 10 })).items.filter((u) => u.role === 'admin').length;
    for (let round = 0; round < 5; round++) {
      const a = await admins();
      const demotions = await Promise.all(a.ids.map((id) => s.meta.users.changeRole(a.S, id, 'viewer', T0)));
      t.equal(demotions.filter((r) => r === 'last-admin').length, 1, `round ${round}: one of two demotions is refused`);
      t.equal(await adminsLeft(a.S), 1, 'one admin left');
      const b = await admins();
      const mixed = await Promise.all([s.meta.users.changeRole(b.S, b.ids[0], 'operator', T0), s.meta.users.removeUser(b.S, b.ids[1], T0)]);
      t.equal(mixed.filter((r) => r === 'last-admin').length, 1, `round ${round}: a demotion and a removal at once: one is refused`);
      t.equal(await adminsLeft(b.S), 1, 'one admin left');
    }
  });

  t.test('meta: notification channels read back as given, sealed or not; sealing at rest is idempotent (ADR 076)', async (t) => {
    const s = await make(t);
    const S = await org(s);
    const spec = { kind: 'webhook' as const, url: 'https://hook.example/x', secret: 'whsec-contract-0123456789' };
    const ch = await s.meta.notify.addChannel(S, { id: `nch-${uid().slice(2, 14)}`, spec, nowMs: T0 });
    t.match(await s.meta.notify.getChannel(S, ch.id), { id: ch.id, kind: 'webhook', spec }, 'read back');
    const once = await s.meta.notify.sealAtRest();
    const twice = await s.meta.notify.sealAtRest();
    t.equal(twice.sealed, 0, 'a second pass seals nothing');
    t.equal(twice.resealed, 0, 'and seals nothing again (no previous key in use)');
    t.equal(twice.plain, once.plain, 'and leaves as many plain as the first (all with a key, none without)');
    t.match(await s.meta.notify.getChannel(S, ch.id), { spec }, 'still read back');
    t.match((await s.meta.notify.listChannels(S, { limit: 10 })).items, [{ id: ch.id, spec }]);
  });

  t.test('meta: notifications: queued with the batch once, by the rules; claimed once; org-scoped', async (t) => {
    const s = await make(t);
    const S = await org(s);
    const other = await org(s);
    const gw = uid('gw').toLowerCase();
    await s.meta.addGateway({ id: gw, name: gw, orgId: S.orgId, tokenHash: hashSecret(gw), nowMs: T0 });
    const now = T0 + 3_600_000;
    const ch = await s.meta.notify.addChannel(S, {
      id: `nch-${uid().slice(2, 14)}`,
      spec: { kind: 'ntfy', url: 'https://ntfy.example/k' },
      nowMs: T0,
    });
    const [cooking, idle] = [ids(), ids()];
    const cookRec = { ...cook(cooking), updatedTs: now - 5000, startedTs: now - 5000 };
    const evs = [
      event(cooking, { type: 'offline', severity: 'warning', ts: now - 1000, data: {} }),
      event(idle, { type: 'offline', severity: 'warning', ts: now - 1000, data: {} }),
      event(idle, { type: 'reached', ts: now - 7 * 3_600_000 }),
      event(idle, { type: 'heating', ts: now - 1000 }),
      event(idle, { type: 'reached', ts: now - 500 }),
    ];
    const b = metaBatch({
      devices: new Map([
        [cooking, now],
        [idle, now],
      ]),
      events: evs,
      cooks: [cookRec],
    });
    await s.meta.ingest(gw, S.orgId, b, now);
    await s.meta.ingest(gw, S.orgId, b, now + 1);
    const page = await s.meta.notify.listDeliveries(S, {}, { limit: 10 });
    t.same(
      page.items.map((d) => d.notification.id).sort(),
      [evs[0]?.id, evs[4]?.id].sort(),
      'a kit offline during a cook and a recent reached notify, once; an idle kit offline, a stale event and heating do not',
    );
    t.match(
      page.items.find((d) => d.notification.type === 'offline'),
      { state: 'pending', kind: 'ntfy', channelId: ch.id, notification: { severity: 'alarm' } },
    );
    t.same((await s.meta.notify.listDeliveries(other, {}, { limit: 10 })).items, [], 'another org sees none');
    t.equal(await s.meta.notify.getChannel(other, ch.id), null, 'nor the channel');
    t.notOk(await s.meta.notify.deleteChannel(other, ch.id, now), 'nor removes it');

    const due = (await s.meta.notify.dueDeliveries(now + 10, 500)).filter((d) => d.orgId === S.orgId);
    t.equal(due.length, 2);
    const first = due[0] as (typeof due)[0];
    t.match(first.channel, { kind: 'ntfy', url: 'https://ntfy.example/k' });
    t.ok(await s.meta.notify.claimDelivery(first.delivery, first.nextTs, now + 60_000), 'claimed');
    t.notOk(await s.meta.notify.claimDelivery(first.delivery, first.nextTs, now + 60_000), 'a second claim of the same row fails');
    await s.meta.notify.recordAttempt({ delivery: first.delivery, state: 'sent', attemptTs: now + 20, nextTs: now + 20, error: null });
    t.equal((await s.meta.notify.listDeliveries(S, { state: 'sent' }, { limit: 10 })).items.length, 1);
    const silent = (await s.meta.notify.silentGateways(now + 600_000, now - 600_000)).filter((g) => g.orgId === S.orgId);
    t.same(
      silent.map((g) => [g.id, g.lastSeenMs]),
      [[gw, now + 1]],
      'the gateway is silent since its last batch',
    );
    t.same(
      (await s.meta.notify.silentGateways(now, now - 600_000)).filter((g) => g.id === gw),
      [],
      'not before',
    );
    t.ok(await s.meta.notify.deleteChannel(S, ch.id, now + 30));
    t.match(
      (await s.meta.notify.listDeliveries(S, { state: 'failed' }, { limit: 10 })).items,
      [{ lastError: 'channel removed' }],
      'what waited is given up',
    );
    t.same(
      (await s.meta.notify.silentGateways(now + 600_000, now - 600_000)).filter((g) => g.id === gw),
      [],
      'an org without a channel has no silent gateways to notify',
    );
  });

  t.test('every store answers ping', async (t) => {
    const s = await make(t);
    await s.telemetry.ping();
    await s.state.ping();
    await s.meta.ping();
    t.pass();
  });
}
