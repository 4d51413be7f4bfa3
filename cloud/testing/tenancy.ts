import type { Test } from 'tap';
import { openSse } from '../../shared/stream/sse-client.js';
import { hashSecret } from '../auth/tokens.js';
import { createUser } from '../auth/users.js';
import { DEFAULT_ORG, type Scope } from '../stores/types.js';
import { sessionClient } from './browserless.js';
import { alarm, audit, batch, commandResult, cook, event, registry, status, T0, telemetry, uid } from './fixtures.js';
import { pointsOf } from './read-back.js';
import { api, type RunningCloud, tenant } from './servers.js';

/**
 * The tenant boundary, through HTTP, on whatever stores the cloud runs (production or embedded):
 * every route of the OpenAPI document, called by org A's credentials on org B's resources, and
 * gateways reporting devices they do not own. Org B's data is read back from the stores before
 * and after: it must not change.
 */
type Creds = Awaited<ReturnType<typeof tenant>>;

export async function seedOrg(c: RunningCloud, creds: Creds) {
  const kit = uid('kit').toLowerCase();
  const ingest = (records: Parameters<typeof batch>[0], desiredVersion = 0) =>
    api(c.base, 'POST', '/v1/ingest', creds.gateway.token, batch(records, desiredVersion));
  const r = await ingest([
    registry([kit]),
    telemetry(kit, 1, 1),
    telemetry(kit, 1, 2, { tempC: 57 }),
    status(kit, 'online', 1, T0 + 100),
    event(kit, { severity: 'alarm', type: 'over_temp' }),
    alarm(kit),
    audit(kit),
    commandResult(kit),
    cook(kit),
  ]);
  if (r.status !== 200 || r.body.rejected) throw new Error(`seed ingest failed: ${JSON.stringify(r.body)}`);
  const set = await api(c.base, 'PUT', `/v1/devices/${kit}/cook`, creds.operator, { targetC: 61, durationMin: 60 });
  if (set.status !== 200) throw new Error(`seed cook failed: ${JSON.stringify(set.body)}`);
  // The same preset name in every org, and one only this org has.
  for (const name of ['steak', `only-${creds.orgId}`.toLowerCase().slice(0, 48)]) {
    const p = await api(c.base, 'PUT', `/v1/presets/${name}`, creds.operator, { targetC: 56, durationMin: 90, food: 'steak' });
    if (p.status !== 200) throw new Error(`seed preset failed: ${JSON.stringify(p.body)}`);
  }
  const bad = await ingest([{ kind: 'telemetry', deviceId: kit } as never]);
  if (bad.status !== 200) throw new Error('seed dead letter failed');
  const key = await api(c.base, 'POST', '/v1/keys', creds.admin, { role: 'viewer', owner: 'bob' });
  const email = `${uid('admin')}@example.com`;
  const password = `${uid('pw')} is the passphrase`;
  await createUser(c.cloud.stores.meta, { email, orgId: creds.orgId, role: 'admin', password, publicUrl: c.base }, Date.now());
  const invited = await api(c.base, 'POST', '/v1/users', creds.admin, { email: `${uid('inv')}@example.com`, role: 'viewer' });
  const preset = `only-${creds.orgId}`.toLowerCase().slice(0, 48);
  // A channel nobody listens on (the seeded events are too old to notify anyway).
  const channel = await api(c.base, 'POST', '/v1/notifications/channels', creds.admin, { kind: 'ntfy', url: 'http://127.0.0.1:9/seed' });
  if (channel.status !== 201) throw new Error(`seed channel failed: ${JSON.stringify(channel.body)}`);
  return {
    kit,
    keyId: key.body.id as string,
    email,
    password,
    inviteUrl: invited.body.inviteUrl as string,
    invitedId: invited.body.id as string,
    preset,
    channelId: channel.body.id as string,
  };
}

/** Everything of one org, read straight from the stores (not through the API under test). */
export async function snapshot(c: RunningCloud, scope: Scope, kit: string) {
  const { meta, state } = c.cloud.stores;
  const page = { limit: 500 };
  const st = (await state.latest(scope.orgId, [kit], T0)).get(kit);
  return {
    device: await meta.getDevice(scope, kit),
    desired: await meta.getDesiredCook(scope, kit),
    reported: await meta.latestCook(scope, kit),
    events: (await meta.listEvents(scope, {}, page)).items,
    alarms: (await meta.listAlarms(scope, {}, page)).items,
    audit: (await meta.listAudit(scope, {}, page)).items,
    commands: (await meta.listCommandResults(scope, kit, page)).items,
    deadLetters: (await meta.listDeadLetters(scope, page)).items,
    gateways: (await meta.listGateways(scope, page)).items.map((g) => ({ ...g, lastSeenMs: null, backlog: null })),
    keys: (await meta.listApiKeys(scope, page)).items,
    users: (await meta.users.listUsers(scope, page)).items,
    presets: (await meta.listPresets(scope, page)).items,
    channels: (await meta.notify.listChannels(scope, page)).items,
    deliveries: (await meta.notify.listDeliveries(scope, {}, page)).items,
    points: await pointsOf(c.cloud.stores, kit, 0, T0 + 1_000_000, scope.orgId),
    state: st ? { tempC: st.tempC, seq: st.seq, boot: st.boot, gatewayId: st.gatewayId, status: st.status } : null,
  };
}

/** One kit's data (its events, audit, cooks, state, points) without the org's other rows and the refusal audit. */
async function kitSnapshot(c: RunningCloud, scope: Scope, kit: string) {
  const {
    events,
    audit,
    alarms,
    deadLetters: _d,
    gateways: _g,
    keys: _k,
    users: _u,
    presets: _p,
    channels: _c,
    deliveries: _n,
    ...rest
  } = await snapshot(c, scope, kit);
  return {
    ...rest,
    events: events.filter((e) => e.deviceId === kit),
    alarms: alarms.filter((e) => e.deviceId === kit),
    audit: audit.filter((a) => a.deviceId === kit && a.action !== 'ingest.foreign_device'),
  };
}

interface Case {
  /** `METHOD /path` as in the OpenAPI document. */
  route: string;
  /** Calls the route as org A on org B's resources; asserts the answer. */
  run: (t: Test) => Promise<unknown>;
}

export async function twoOrgMatrix(t: Test, c: RunningCloud): Promise<void> {
  const A = await tenant(c);
  const B = await tenant(c);
  const a = await seedOrg(c, A);
  const b = await seedOrg(c, B);
  const scopeB = { orgId: B.orgId };
  const before = await snapshot(c, scopeB, b.kit);
  t.ok(before.device && before.desired && before.events.length > 0 && before.points.length === 2, 'org B has data to protect');

  // biome-ignore lint/suspicious/noExplicitAny: responses are loosely typed JSON
  type Res = { status: number; body: any };
  interface Caller {
    get(path: string): Promise<Res>;
    send(method: string, path: string, body?: unknown): Promise<Res>;
    /** Its credential as headers (GET /v1/stream). */
    headers(): Record<string, string>;
  }
  const byKey = (key: string): Caller => ({
    headers: () => ({ authorization: `Bearer ${key}` }),
    get: (path) => api(c.base, 'GET', path, key),
    send: (method, path, body) => api(c.base, method, path, key, body),
  });
  const session = sessionClient(c.base);
  t.equal((await session.login(a.email, a.password)).status, 200, "org A's admin logs in");
  const bySession: Caller = {
    headers: () => ({ cookie: session.cookie }),
    get: (path) => session.call('GET', path),
    send: (method, path, body) => session.call(method, path, body),
  };
  for (const [who, admin] of [
    ["org A's admin key", byKey(A.admin)],
    ["org A's admin session", bySession],
  ] as const) {
    await t.test(who, (t) => matrix(t, admin, who.includes('session')));
  }
  async function matrix(t: Test, admin: Caller, isSession: boolean) {
    const notFound = async (t: Test, res: Promise<{ status: number; body: { error?: { code: string } } }>, what: string) => {
      const r = await res;
      t.equal(r.status, 404, what);
      t.equal(r.body.error?.code, 'SV_ERR_NOT_FOUND', what);
    };
    const ids = (r: { body: { items: { id?: string; deviceId?: string | null; gatewayId?: string | null }[] } }) =>
      JSON.stringify(r.body.items);

    const cases: Case[] = [
      {
        route: 'GET /v1/devices',
        run: async (t) => {
          const r = await admin.get('/v1/devices?limit=500');
          t.equal(r.status, 200);
          t.same(
            r.body.items.map((d: { id: string }) => d.id),
            [a.kit],
            "only the org's own kit",
          );
          t.equal((await admin.get(`/v1/devices?gateway=${B.gateway.id}`)).body.items.length, 0, "filtering by B's gateway finds nothing");
        },
      },
      { route: 'GET /v1/devices/{id}', run: (t) => notFound(t, admin.get(`/v1/devices/${b.kit}`), 'device') },
      { route: 'GET /v1/devices/{id}/telemetry', run: (t) => notFound(t, admin.get(`/v1/devices/${b.kit}/telemetry?from=0`), 'telemetry') },
      { route: 'GET /v1/devices/{id}/commands', run: (t) => notFound(t, admin.get(`/v1/devices/${b.kit}/commands`), 'commands') },
      {
        route: 'GET /v1/cooks',
        run: async (t) => {
          const own = await api(c.base, 'GET', '/v1/cooks?from=0', B.admin);
          t.ok(
            own.body.items.some((x: { deviceId: string }) => x.deviceId === b.kit),
            "org B sees its own kit's cook",
          );
          const r = await admin.get('/v1/cooks?from=0');
          t.equal(r.status, 200);
          t.notOk(
            r.body.items.some((x: { deviceId: string }) => x.deviceId === b.kit),
            "org A's cook list has none of org B's cooks",
          );
        },
      },
      {
        route: 'GET /v1/cooks/{id}',
        run: async (t) => {
          const own = await api(c.base, 'GET', '/v1/cooks?from=0', B.admin);
          const cookId = own.body.items.find((x: { deviceId: string }) => x.deviceId === b.kit)?.id as string | undefined;
          t.ok(cookId, "org B's cook id");
          await notFound(t, admin.get(`/v1/cooks/${cookId}`), 'cook record');
        },
      },
      {
        route: 'GET /v1/devices/{id}/readings.csv',
        run: (t) => notFound(t, admin.get(`/v1/devices/${b.kit}/readings.csv?from=0`), 'readings CSV'),
      },
      {
        route: 'PUT /v1/devices/{id}/cook',
        run: async (t) => {
          await notFound(t, admin.send('PUT', `/v1/devices/${b.kit}/cook`, { targetC: 70 }), 'set cook');
          const viewer = await api(c.base, 'PUT', `/v1/devices/${b.kit}/cook`, A.viewer, { targetC: 70 });
          t.equal(viewer.status, 403, 'a viewer is refused by role before anything is looked up');
        },
      },
      { route: 'DELETE /v1/devices/{id}/cook', run: (t) => notFound(t, admin.send('DELETE', `/v1/devices/${b.kit}/cook`), 'stop cook') },
      {
        route: 'POST /v1/devices/{id}/move',
        run: async (t) => {
          await notFound(t, admin.send('POST', `/v1/devices/${b.kit}/move`, { gateway: A.gateway.id }), "B's kit to A's gateway");
          await notFound(t, admin.send('POST', `/v1/devices/${a.kit}/move`, { gateway: B.gateway.id }), "A's kit to B's gateway");
          t.equal(
            (await api(c.base, 'POST', `/v1/devices/${a.kit}/move`, A.operator, { gateway: A.gateway.id })).status,
            403,
            'admin only',
          );
        },
      },
      {
        route: 'GET /v1/presets',
        run: async (t) => {
          const r = await admin.get('/v1/presets?limit=500');
          t.equal(r.status, 200);
          t.same(
            r.body.items.map((p: { name: string }) => p.name),
            [a.preset, 'steak'],
            "only the org's own presets",
          );
        },
      },
      {
        route: 'PUT /v1/presets/{name}',
        run: async (t) => {
          const r = await admin.send('PUT', '/v1/presets/steak', { targetC: 70 });
          t.equal(r.status, 200);
          t.match((await c.cloud.stores.meta.getPreset({ orgId: A.orgId }, 'steak'))?.spec, { targetC: 70 }, "A's own preset of that name");
          const viewer = await api(c.base, 'PUT', '/v1/presets/steak', A.viewer, { targetC: 70 });
          t.equal(viewer.status, 403, 'operators only');
        },
      },
      {
        route: 'DELETE /v1/presets/{name}',
        run: (t) => notFound(t, admin.send('DELETE', `/v1/presets/${b.preset}`), "B's preset"),
      },
      {
        route: 'PUT /v1/devices/{id}/cook/preset/{name}',
        run: async (t) => {
          await notFound(t, admin.send('PUT', `/v1/devices/${a.kit}/cook/preset/${b.preset}`), "B's preset on A's kit");
          await notFound(t, admin.send('PUT', `/v1/devices/${b.kit}/cook/preset/steak`), "A's preset on B's kit");
        },
      },
      {
        route: 'GET /v1/gateways',
        run: async (t) => {
          const r = await admin.get('/v1/gateways?limit=500');
          t.ok(r.body.items.some((g: { id: string }) => g.id === A.gateway.id));
          t.ok(
            r.body.items.every((g: { orgId: string }) => g.orgId === A.orgId),
            "only org A's gateways",
          );
        },
      },
      {
        route: 'POST /v1/gateways',
        run: async (t) => {
          const r = await admin.send('POST', '/v1/gateways', { name: uid('gw').toLowerCase() });
          t.equal(r.status, 201);
          t.equal((await c.cloud.stores.meta.getGateway({ orgId: A.orgId }, r.body.id))?.orgId, A.orgId, "created in the caller's org");
        },
      },
      {
        route: 'DELETE /v1/gateways/{id}',
        run: (t) => notFound(t, admin.send('DELETE', `/v1/gateways/${B.gateway.id}`), 'revoke gateway'),
      },
      {
        route: 'POST /v1/gateways/{id}/token',
        run: async (t) => {
          await notFound(t, admin.send('POST', `/v1/gateways/${B.gateway.id}/token`, { graceS: 0 }), "rotate B's gateway token");
          t.match(
            await c.cloud.stores.meta.gatewayByTokenHash(hashSecret(B.gateway.token)),
            { id: B.gateway.id },
            "B's token is unchanged",
          );
        },
      },
      {
        route: 'GET /v1/events',
        run: async (t) => {
          t.equal((await admin.get(`/v1/events?device=${b.kit}`)).body.items.length, 0);
          t.equal((await admin.get(`/v1/events?gateway=${B.gateway.id}`)).body.items.length, 0);
          t.notMatch(ids(await admin.get('/v1/events?limit=500')), b.kit);
        },
      },
      {
        route: 'GET /v1/alarms',
        run: async (t) => {
          const all = await admin.get('/v1/alarms?limit=500');
          t.equal(all.body.items.length, 1, "only A's alarm");
          t.equal(all.body.items[0]?.deviceId, a.kit);
          t.notMatch(ids(all), b.kit);
          t.equal((await admin.get(`/v1/alarms?deviceId=${b.kit}`)).body.items.length, 0, "filtering by B's kit finds nothing");
          t.equal((await admin.get(`/v1/alarms?gateway=${B.gateway.id}`)).body.items.length, 0, "filtering by B's gateway finds nothing");
        },
      },
      {
        route: 'POST /v1/alarms/{id}/ack',
        run: async (t) => {
          const own = await api(c.base, 'GET', '/v1/alarms', B.admin);
          const alarmId = own.body.items[0]?.id as string | undefined;
          t.ok(alarmId, "org B's alarm id");
          await notFound(t, admin.send('POST', `/v1/alarms/${alarmId}/ack`, { note: 'mallory saw it' }), "acknowledging B's alarm");
          const viewer = await api(c.base, 'POST', `/v1/alarms/${alarmId}/ack`, A.viewer, {});
          t.equal(viewer.status, 403, 'a viewer is refused by role before anything is looked up');
        },
      },
      {
        route: 'GET /v1/audit',
        run: async (t) => {
          const about = (await admin.get(`/v1/audit?device=${b.kit}`)).body.items;
          t.same(
            about.filter((x: { action: string }) => x.action !== 'ingest.foreign_device'),
            [],
          );
          // Refusals of what A's own gateway sent (the ingest case) name what it sent; nothing else of B shows.
          const r = await admin.get('/v1/audit?limit=500');
          const all = JSON.stringify(r.body.items.filter((x: { action: string }) => x.action !== 'ingest.foreign_device'));
          t.notMatch(all, b.kit);
          t.notMatch(all, B.gateway.id);
        },
      },
      {
        route: 'GET /v1/dead-letters',
        run: async (t) => {
          const r = await admin.get('/v1/dead-letters?limit=500');
          t.ok(r.body.items.length >= 1, "A's dead letter");
          t.notMatch(ids(r), B.gateway.id);
        },
      },
      {
        route: 'GET /v1/keys',
        run: async (t) => {
          const r = await admin.get('/v1/keys?limit=500');
          t.ok(r.body.items.length >= 4);
          t.notMatch(ids(r), b.keyId);
        },
      },
      {
        route: 'POST /v1/keys',
        run: (t) =>
          notFound(t, admin.send('POST', '/v1/keys', { role: 'admin', owner: 'mallory', gateway: B.gateway.id }), "a key on B's gateway"),
      },
      { route: 'DELETE /v1/keys/{id}', run: (t) => notFound(t, admin.send('DELETE', `/v1/keys/${b.keyId}`), 'revoke key') },
      { route: 'DELETE /v1/users/{id}', run: (t) => notFound(t, admin.send('DELETE', `/v1/users/${b.invitedId}`), 'remove user') },
      {
        route: 'PATCH /v1/users/{id}',
        run: async (t) => {
          await notFound(t, admin.send('PATCH', `/v1/users/${b.invitedId}`, { role: 'admin' }), 'change a role');
          t.match(
            await c.cloud.stores.meta.users.userById(b.invitedId),
            { orgId: B.orgId, role: 'viewer' },
            "B's user reads back unchanged",
          );
        },
      },
      {
        route: 'POST /v1/ingest',
        run: async (t) => {
          // Device ids are per org: records A's gateway sends under B's kit's id are A's own kit of
          // that id (sameIdInTwoOrgs), so this case sends none, to keep A without such a kit for the
          // other cases. What A's gateway gets back holds nothing of B.
          const r = await api(c.base, 'POST', '/v1/ingest', A.gateway.token, batch([], 0));
          t.equal(r.status, 200);
          t.notMatch(JSON.stringify(r.body), b.kit, "A's gateway's sync reply carries nothing of B's kit");
          t.match(r.body.desired.devices, [{ deviceId: a.kit }], "only A's desired cook");
          t.equal((await api(c.base, 'POST', '/v1/ingest', A.admin, batch([]))).status, 401, 'a key is not a gateway token');
        },
      },
      {
        route: 'GET /v1/stream',
        run: async (t) => {
          const stream = openSse(`${c.base}/v1/stream`, admin.headers());
          t.teardown(() => stream.close());
          t.equal(await stream.status, 200);
          await stream.next((m) => m.event === 'ready');
          // B's gateway resends a reading B already has (idempotent: B's data is unchanged, and it is streamed to B).
          t.equal((await api(c.base, 'POST', '/v1/ingest', B.gateway.token, batch([telemetry(b.kit, 1, 2, { tempC: 57 })]))).status, 200);
          const marker = uid('ev');
          t.equal((await api(c.base, 'POST', '/v1/ingest', A.gateway.token, batch([event(a.kit, { id: marker })]))).status, 200);
          await stream.next((m) => m.event === 'event' && JSON.parse(m.data).id === marker);
          t.notMatch(stream.messages.map((m) => m.data).join('\n'), b.kit, "org B's kit never appears on org A's stream");
        },
      },
      {
        route: 'GET /metrics',
        run: async (t) => {
          await notFound(t, admin.get('/metrics'), "service-wide metrics are not a tenant's");
        },
      },
      { route: 'GET /healthz', run: async (t) => t.same((await admin.get('/healthz')).body, { status: 'ok' }) },
      { route: 'GET /readyz', run: async (t) => t.equal((await admin.get('/readyz')).status, 200) },
      {
        route: 'GET /v1/users',
        run: async (t) => {
          const r = await admin.get('/v1/users?limit=500');
          t.equal(r.status, 200);
          t.notMatch(JSON.stringify(r.body), b.email);
          t.ok(r.body.items.every((u: { orgId: string }) => u.orgId === A.orgId));
        },
      },
      {
        route: 'POST /v1/users',
        run: async (t) => {
          const r = await admin.send('POST', '/v1/users', { email: `${uid('new')}@example.com`, role: 'viewer' });
          t.equal(r.status, 201);
          t.equal((await c.cloud.stores.meta.users.userById(r.body.id))?.orgId, A.orgId, "invited into the caller's org");
        },
      },
      {
        route: 'GET /v1/notifications/channels',
        run: async (t) => {
          const r = await admin.get('/v1/notifications/channels?limit=500');
          t.equal(r.status, 200);
          t.ok(
            r.body.items.some((x: { id: string }) => x.id === a.channelId),
            "A's channel",
          );
          t.notMatch(ids(r), b.channelId, "none of B's");
        },
      },
      {
        route: 'POST /v1/notifications/channels',
        run: async (t) => {
          const r = await admin.send('POST', '/v1/notifications/channels', { kind: 'ntfy', url: 'http://127.0.0.1:9/a' });
          t.equal(r.status, 201);
          t.equal((await c.cloud.stores.meta.notify.getChannel({ orgId: A.orgId }, r.body.id))?.orgId, A.orgId, "made in the caller's org");
          t.equal(await c.cloud.stores.meta.notify.getChannel({ orgId: B.orgId }, r.body.id), null);
        },
      },
      {
        route: 'DELETE /v1/notifications/channels/{id}',
        run: (t) => notFound(t, admin.send('DELETE', `/v1/notifications/channels/${b.channelId}`), "B's channel"),
      },
      {
        route: 'POST /v1/notifications/test',
        run: (t) => notFound(t, admin.send('POST', '/v1/notifications/test', { channel: b.channelId }), "a test through B's channel"),
      },
      {
        route: 'GET /v1/notifications',
        run: async (t) => {
          const r = await admin.get(`/v1/notifications?channel=${b.channelId}`);
          t.equal(r.status, 200);
          t.same(r.body.items, [], "nothing of B's channel");
          t.notMatch(JSON.stringify((await admin.get('/v1/notifications?limit=500')).body), b.channelId);
        },
      },
      { route: 'GET /v1/orgs', run: async (t) => t.equal((await admin.get('/v1/orgs')).status, 403, 'service admins only') },
      {
        route: 'POST /v1/orgs',
        run: async (t) => t.equal((await admin.send('POST', '/v1/orgs', { name: uid('o').toLowerCase() })).status, 403),
      },
      {
        route: 'POST /v1/auth/login',
        run: async (t) => t.equal((await sessionClient(c.base).login(b.email, 'not the password of b')).status, 401),
      },
      {
        route: 'GET /v1/auth/session',
        run: async (t) => {
          const r = await admin.get('/v1/auth/session');
          if (!isSession) return t.equal(r.status, 401, 'a key has no session');
          t.match(r.body, { org: { id: A.orgId }, user: { email: a.email } }, 'the session is in org A');
        },
      },
      {
        route: 'POST /v1/auth/password',
        run: async (t) => {
          const r = await admin.send('POST', '/v1/auth/password', { current: b.password, next: 'mallory wants this one' });
          t.equal(r.status, isSession ? 401 : 403, "B's password is not A's current password; a key has no password");
        },
      },
      {
        route: 'POST /v1/auth/invite',
        run: async (t) => {
          const r = await admin.send('POST', '/v1/auth/invite', { token: `svi_${'x'.repeat(43)}`, password: 'mallory wants this one' });
          t.equal(r.status, 404, 'no invitation without its link');
        },
      },
      {
        route: 'POST /v1/auth/logout',
        run: async (t) => {
          if (!isSession) return t.equal((await admin.send('POST', '/v1/auth/logout')).status, 403, 'a key has no session to end');
          const other = sessionClient(c.base);
          await other.login(a.email, a.password);
          await other.call('GET', '/v1/auth/session');
          t.equal((await other.call('POST', '/v1/auth/logout')).status, 204, 'a second session of A logs out');
          t.equal((await admin.get('/v1/auth/session')).status, 200, 'this one is untouched');
        },
      },
    ];

    const doc = await api(c.base, 'GET', '/openapi.json');
    const routes = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    t.same(
      routes.filter((r) => !cases.some((x) => x.route === r)),
      [],
      'every route of the OpenAPI document is in the matrix',
    );
    const roles = Object.values(doc.body.paths as Record<string, Record<string, { 'x-role'?: string }>>).flatMap((ops) =>
      Object.values(ops).map((op) => op['x-role']),
    );
    t.ok(
      roles.every((r) => typeof r === 'string' && r.length > 0),
      'the OpenAPI document states what each route needs',
    );
    t.ok(roles.includes('admin (API key or session)') && roles.includes('gateway token') && roles.includes('service admin (session)'));
    for (const x of cases) await t.test(x.route, x.run);
  }

  await t.test("a gateway token of org A is no key on any of B's resources", async (t) => {
    for (const path of [`/v1/devices/${b.kit}`, '/v1/devices', '/v1/events', '/v1/audit', '/v1/keys', '/v1/gateways', '/v1/users']) {
      t.equal((await api(c.base, 'GET', path, A.gateway.token)).status, 401, path);
    }
  });

  await t.test('a key limited to one gateway sees that gateway only', async (t) => {
    const other = await api(c.base, 'POST', '/v1/gateways', A.admin, { name: uid('gw').toLowerCase() });
    const limited = await api(c.base, 'POST', '/v1/keys', A.admin, { role: 'operator', owner: 'lim', gateway: other.body.id });
    t.equal(limited.status, 201);
    t.same((await api(c.base, 'GET', '/v1/devices', limited.body.key)).body.items, [], "A's kit is on another gateway");
    t.equal((await api(c.base, 'GET', `/v1/devices/${a.kit}`, limited.body.key)).status, 404);
    t.equal((await api(c.base, 'PUT', `/v1/devices/${a.kit}/cook`, limited.body.key, { targetC: 60 })).status, 404);
    t.same(
      (await api(c.base, 'GET', '/v1/gateways', limited.body.key)).body.items.map((g: { id: string }) => g.id),
      [other.body.id],
    );
  });

  t.same(await snapshot(c, scopeB, b.kit), before, "org B's data, read back from the stores, is unchanged");
  t.not(A.orgId, DEFAULT_ORG);
}

/**
 * A gateway reports telemetry, state, events, audit, command results and cooks for a kit another
 * gateway of its org owns: refused, counted and audited; owner and data unchanged; the rest of its
 * batch accepted; its sync reply never carries the kit. (Another org's kit of the same id is another
 * kit: sameIdInTwoOrgs.)
 */
export async function foreignDevices(t: Test, c: RunningCloud): Promise<void> {
  const A = await tenant(c);
  const owner = await seedOrg(c, A);
  const kit = owner.kit;
  const scopeA = { orgId: A.orgId };
  const sibling = await api(c.base, 'POST', '/v1/gateways', A.admin, { name: uid('gw').toLowerCase() });
  const foreignTotal = async () => {
    const m = c.cloud.metrics.registry.getSingleMetric('ingest_foreign_device_total');
    const v = (await m?.get())?.values ?? [];
    return v.reduce((sum, x) => sum + x.value, 0);
  };

  for (const [label, token, orgId] of [['a gateway of the same org', sibling.body.token as string, A.orgId]] as const) {
    await t.test(label, async (t) => {
      const before = await kitSnapshot(c, scopeA, kit);
      const counted = await foreignTotal();
      const own = uid('kit').toLowerCase();
      const records = [
        telemetry(kit, 5, 1, { tempC: 99 }),
        telemetry(own, 1, 1),
        status(kit, 'offline', 5, T0 + 500),
        event(kit, { type: 'done' }),
        audit(kit, { action: 'press' }),
        commandResult(kit),
        cook(kit, 7),
        registry([kit]),
        event(own),
      ];
      const body = batch(records);
      const r = await api(c.base, 'POST', '/v1/ingest', token, body);
      t.equal(r.status, 200);
      t.same(
        r.body.rejected.map((x: { index: number }) => x.index),
        [0, 2, 3, 4, 5, 6],
        "every record about the other gateway's kit is refused",
      );
      t.match(r.body.rejected[0].reasons, [new RegExp(`^records\\.0\\.deviceId: device ${kit} belongs to another gateway`)]);
      t.equal(r.body.accepted, 3, 'the rest of the batch is accepted (own telemetry, the registry report, own event)');
      t.equal(await foreignTotal(), counted + 6, 'ingest_foreign_device_total counts the refused records');
      const replay = await api(c.base, 'POST', '/v1/ingest', token, body);
      t.equal(replay.status, 200);

      const after = await kitSnapshot(c, scopeA, kit);
      t.same(after, before, 'owner, state, telemetry, events, cooks and audit of the kit unchanged');
      t.equal(after.device?.gatewayId, A.gateway.id);
      const scope = { orgId };
      t.equal(await c.cloud.stores.meta.getDevice(scope, own).then((d) => d?.gatewayId), sibling.body.id);
      const dead = (await c.cloud.stores.meta.listDeadLetters(scope, { limit: 500 })).items.filter((x) => x.batchId === body.batchId);
      t.same(dead.map((x) => x.index).sort(), [0, 2, 3, 4, 5, 6], "dead-lettered (once) in the sender's org");
      const trail = (await c.cloud.stores.meta.listAudit(scope, { action: 'ingest.foreign_device' }, { limit: 500 })).items.filter(
        (x) => x.data.batchId === body.batchId,
      );
      t.equal(trail.length, 1, 'audited once per kit and batch, also when replayed');
      t.match(trail[0], { deviceId: kit, actor: { type: 'cloud' }, data: { reason: 'foreign', records: 6 } });

      // The owner's operator sets a cook: only the owning gateway hears it.
      const set = await api(c.base, 'PUT', `/v1/devices/${kit}/cook`, A.operator, { targetC: 58, durationMin: 30 });
      t.equal(set.status, 200);
      const sync = await api(c.base, 'POST', '/v1/ingest', token, batch([], 0));
      t.notMatch(JSON.stringify(sync.body.desired ?? {}), kit, "the sync reply never carries another gateway's kit");
      const ownerSync = await api(c.base, 'POST', '/v1/ingest', A.gateway.token, batch([], 0));
      t.match(ownerSync.body.desired.devices, [{ deviceId: kit, cook: { spec: { targetC: 58 } } }], 'the owner does');
    });
  }

  await t.test('an explicit move by an org admin rebinds the kit (audited)', async (t) => {
    const moved = await api(c.base, 'POST', `/v1/devices/${kit}/move`, A.admin, { gateway: sibling.body.id, reason: 'new kitchen' });
    t.equal(moved.status, 200);
    t.match(moved.body, { id: kit, gatewayId: sibling.body.id });
    // What the old owner stamped after the move is refused; what it stamped before is the kit's history (ADR 082).
    const later = Date.now() + 60_000;
    const r = await api(
      c.base,
      'POST',
      '/v1/ingest',
      A.gateway.token,
      batch([telemetry(kit, 6, 1, { ts: later, rxTs: later }), telemetry(kit, 6, 2)]),
    );
    t.same(
      r.body.rejected.map((x: { index: number }) => x.index),
      [0],
      'the old owner is refused now, for what it stamped after the move',
    );
    const r2 = await api(c.base, 'POST', '/v1/ingest', sibling.body.token, batch([telemetry(kit, 6, 1)]));
    t.equal(r2.body.rejected, undefined, 'the new owner is accepted');
    const trail = await api(c.base, 'GET', `/v1/audit?action=device.move&device=${kit}`, A.admin);
    t.match(trail.body.items, [
      { actor: { type: 'user', id: 'alice' }, reason: 'new kitchen', data: { from: A.gateway.id, to: sibling.body.id } },
    ]);
  });
}

/**
 * Device ids are per org: two kitchens that both call a kit `kit-…` each have their own. Both
 * gateways report it and register it; neither is refused; every read (device, list, history,
 * readings.csv, events, cooks) shows each org its own kit; a cook set in one org goes only to that
 * org's gateway; and org B's kit, read back from the stores, is unchanged by all that A does.
 */
export async function sameIdInTwoOrgs(t: Test, c: RunningCloud): Promise<void> {
  const A = await tenant(c);
  const B = await tenant(c);
  const kit = uid('kit').toLowerCase();
  const foreignTotal = async () => {
    const m = c.cloud.metrics.registry.getSingleMetric('ingest_foreign_device_total');
    return ((await m?.get())?.values ?? []).reduce((sum, x) => sum + x.value, 0);
  };
  const counted = await foreignTotal();
  const report = (creds: Creds, tempC: number, type: string) =>
    api(
      c.base,
      'POST',
      '/v1/ingest',
      creds.gateway.token,
      batch([
        registry([kit]),
        telemetry(kit, 1, 1, { tempC }),
        telemetry(kit, 1, 2, { tempC: tempC + 1 }),
        status(kit, 'online', 1, T0 + 100),
        event(kit, { type }),
        cook(kit),
      ]),
    );
  const b = await report(B, 70, 'ready');
  t.equal(b.status, 200);
  t.equal(b.body.rejected, undefined, "org B's gateway reports its kit");
  const bBefore = await kitSnapshot(c, { orgId: B.orgId }, kit);
  const a = await report(A, 55, 'done');
  t.equal(a.status, 200);
  t.equal(b.body.accepted, a.body.accepted, "org A's gateway reports a kit of the same id: all of it accepted too");
  t.equal(a.body.rejected, undefined, 'nothing refused: no "belongs to another gateway" that would tell A the id exists elsewhere');
  t.equal(await foreignTotal(), counted, 'no record counted as foreign');

  for (const [creds, gateway, temps, type] of [
    [A, A.gateway.id, [55, 56], 'done'],
    [B, B.gateway.id, [70, 71], 'ready'],
  ] as const) {
    const org = creds === A ? 'A' : 'B';
    const device = await api(c.base, 'GET', `/v1/devices/${kit}`, creds.viewer);
    t.equal(device.status, 200);
    t.match(device.body, { id: kit, gatewayId: gateway, state: { tempC: temps[1], seq: 2 } }, `org ${org} sees its own kit`);
    const list = await api(c.base, 'GET', '/v1/devices', creds.viewer);
    t.same(
      list.body.items.map((d: { id: string; gatewayId: string }) => [d.id, d.gatewayId]),
      [[kit, gateway]],
      `org ${org} lists one kit, its own`,
    );
    const history = await api(c.base, 'GET', `/v1/devices/${kit}/telemetry?from=${T0}&to=${T0 + 60_000}&every=1h`, creds.viewer);
    t.same(
      history.body.buckets.map((x: { count: number; min: number; max: number }) => [x.count, x.min, x.max]),
      [[2, temps[0], temps[1]]],
      `org ${org}'s history holds its two readings only`,
    );
    const csv = await fetch(`${c.base}/v1/devices/${kit}/readings.csv?from=${T0}&to=${T0 + 60_000}`, {
      headers: { authorization: `Bearer ${creds.viewer}` },
    });
    const rows = (await csv.text()).trimEnd().split('\n').slice(1);
    t.same(
      rows.map((r) =>
        r
          .split(',')
          .slice(1, 4)
          .concat(r.split(',')[5] ?? ''),
      ),
      [
        [gateway, '1', '1', String(temps[0])],
        [gateway, '1', '2', String(temps[1])],
      ],
      `org ${org}'s readings.csv: its own readings, through its own gateway`,
    );
    const events = await api(c.base, 'GET', `/v1/events?device=${kit}`, creds.viewer);
    t.same(
      events.body.items.map((e: { type: string; gatewayId: string }) => [e.type, e.gatewayId]),
      [[type, gateway]],
      `org ${org}'s events of the kit: its own`,
    );
  }

  // A cook set in A goes only to A's gateway; B's gateway hears nothing of it.
  const set = await api(c.base, 'PUT', `/v1/devices/${kit}/cook`, A.operator, { targetC: 58, durationMin: 30 });
  t.equal(set.status, 200);
  const syncA = await api(c.base, 'POST', '/v1/ingest', A.gateway.token, batch([], 0));
  t.match(syncA.body.desired.devices, [{ deviceId: kit, cook: { spec: { targetC: 58 } } }], "A's gateway gets A's cook");
  const syncB = await api(c.base, 'POST', '/v1/ingest', B.gateway.token, batch([], 0));
  t.notMatch(JSON.stringify(syncB.body.desired ?? {}), '"targetC":58', "B's gateway does not");
  // A moves its kit to another of its gateways: B's kit stays where it is.
  const sibling = await api(c.base, 'POST', '/v1/gateways', A.admin, { name: uid('gw').toLowerCase() });
  const moved = await api(c.base, 'POST', `/v1/devices/${kit}/move`, A.admin, { gateway: sibling.body.id });
  t.match(moved.body, { id: kit, gatewayId: sibling.body.id });
  const bAfter = await kitSnapshot(c, { orgId: B.orgId }, kit);
  t.same(bAfter, bBefore, "org B's kit, read back from the stores, is unchanged by everything A did");
  t.equal(bAfter.device?.gatewayId, B.gateway.id);
  t.equal(bAfter.points.length, 2, "B's two readings");
  t.match(bAfter.desired, { gatewayId: B.gateway.id, spec: { targetC: 56.5 } }, "B's desired cook is the one its gateway reported");
}
