import t from 'tap';
import { createApiKey, createGateway } from './admin.js';
import type { OrgObjectKind } from './stores/types.js';
import { uid } from './testing/fixtures.js';
import { api, startCloud, tenant, testConfig } from './testing/servers.js';

/**
 * The caps on what one org creates through the API (config section `org`, cloud/routes/org-limits.ts),
 * on the embedded store with small caps. For each kind: the org creates up to its cap, one more is
 * 409 SV_ERR_ORG_LIMIT naming the config key, and is not created; another org still creates its own;
 * removing one makes room. What the org has is read back from the list routes and the store.
 */
const CAPS = { gateways: 2, apiKeys: 4, users: 2, channels: 2, presets: 2 } as const;
const config = testConfig(t, undefined, 'org-limits', {
  'org.maxGateways': CAPS.gateways,
  'org.maxApiKeys': CAPS.apiKeys,
  'org.maxUsers': CAPS.users,
  'org.maxChannels': CAPS.channels,
  'org.maxPresets': CAPS.presets,
});
const c = await startCloud(t, config);
const meta = c.cloud.stores.meta;

type Creds = Awaited<ReturnType<typeof tenant>>;
// biome-ignore lint/suspicious/noExplicitAny: responses are loosely typed JSON
type Res = { status: number; body: any };

interface Kind {
  kind: OrgObjectKind;
  key: string;
  /** Creates one through the API; `tag` tells it apart in the lists. */
  create(o: Creds, tag: string): Promise<Res>;
  /** The org's live objects through its list route: id (or name) and tag. */
  live(o: Creds): Promise<{ id: string; tag: string }[]>;
  /** Makes room: revokes or removes one. */
  remove(o: Creds, id: string): Promise<void>;
}

const list = async (o: Creds, path: string, key = o.admin) => {
  const r = await api(c.base, 'GET', `${path}${path.includes('?') ? '&' : '?'}limit=500`, key);
  if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
  return r.body.items as Record<string, unknown>[];
};
const removed = async (r: Promise<Res>) => {
  const x = await r;
  if (x.status !== 204) throw new Error(`remove: ${x.status} ${JSON.stringify(x.body)}`);
};

const KINDS: Kind[] = [
  {
    kind: 'gateways',
    key: 'org.maxGateways',
    create: (o, tag) => api(c.base, 'POST', '/v1/gateways', o.admin, { name: tag }),
    live: async (o) =>
      (await list(o, '/v1/gateways')).filter((g) => g.revokedMs === null).map((g) => ({ id: String(g.id), tag: String(g.id) })),
    remove: (o, id) => removed(api(c.base, 'DELETE', `/v1/gateways/${id}`, o.admin)),
  },
  {
    kind: 'apiKeys',
    key: 'org.maxApiKeys',
    create: (o, tag) => api(c.base, 'POST', '/v1/keys', o.admin, { role: 'viewer', owner: tag }),
    live: async (o) =>
      (await list(o, '/v1/keys')).filter((k) => k.revokedMs === null).map((k) => ({ id: String(k.id), tag: String(k.owner) })),
    remove: (o, id) => removed(api(c.base, 'DELETE', `/v1/keys/${id}`, o.admin)),
  },
  {
    kind: 'users',
    key: 'org.maxUsers',
    create: (o, tag) => api(c.base, 'POST', '/v1/users', o.admin, { email: `${tag}@example.com`, role: 'viewer' }),
    live: async (o) =>
      (await list(o, '/v1/users'))
        .filter((u) => u.disabledMs === null)
        .map((u) => ({ id: String(u.id), tag: String(u.email).replace(/@.*/, '') })),
    remove: (o, id) => removed(api(c.base, 'DELETE', `/v1/users/${id}`, o.admin)),
  },
  {
    kind: 'channels',
    key: 'org.maxChannels',
    create: (o, tag) => api(c.base, 'POST', '/v1/notifications/channels', o.admin, { kind: 'ntfy', url: `http://127.0.0.1:9/${tag}` }),
    live: async (o) =>
      (await list(o, '/v1/notifications/channels')).map((ch) => ({
        id: String(ch.id),
        tag: String((ch as { url?: string }).url).replace(/^.*\//, ''),
      })),
    remove: (o, id) => removed(api(c.base, 'DELETE', `/v1/notifications/channels/${id}`, o.admin)),
  },
  {
    kind: 'presets',
    key: 'org.maxPresets',
    create: (o, tag) => api(c.base, 'PUT', `/v1/presets/${tag}`, o.operator, { targetC: 60, durationMin: 30 }),
    live: async (o) => (await list(o, '/v1/presets', o.viewer)).map((p) => ({ id: String(p.name), tag: String(p.name) })),
    remove: (o, name) => removed(api(c.base, 'DELETE', `/v1/presets/${name}`, o.operator)),
  },
];

const refusedTotal = async (limit: string) => {
  const m = c.cloud.metrics.registry.getSingleMetric('org_limit_refused_total');
  return ((await m?.get())?.values ?? []).filter((v) => v.labels.limit === limit).reduce((s, v) => s + v.value, 0);
};

const A = await tenant(c);
const B = await tenant(c);

for (const k of KINDS) {
  t.test(k.kind, async (t) => {
    const cap = CAPS[k.kind];
    const tag = () => uid(k.kind.slice(0, 3)).toLowerCase();
    const ok = (r: Res) => r.status === 200 || r.status === 201;
    const before = await k.live(A);
    t.ok(before.length < cap, `org A starts below the cap (${before.length} < ${cap})`);
    t.equal(await meta.countLive(A.orgId, k.kind), before.length, 'the store counts what the list shows');

    const made: string[] = [];
    for (let i = before.length; i < cap; i++) {
      const name = tag();
      const r = await k.create(A, name);
      t.ok(ok(r), `creation ${i + 1} of ${cap}: ${r.status}`);
      made.push(name);
    }
    const refusedBefore = await refusedTotal(k.key);
    const over = tag();
    const r = await k.create(A, over);
    t.equal(r.status, 409, 'one more is refused');
    t.equal(r.body.error.code, 'SV_ERR_ORG_LIMIT');
    t.match(r.body.error.message, new RegExp(`at most ${cap} .* and has ${cap}$`), 'the message names the kind and the cap');
    t.same(r.body.error.details.length, 1);
    t.match(r.body.error.details[0], new RegExp(`^${k.key.replace('.', '\\.')}: ${cap} \\(`), 'details name the config key and the cap');
    t.equal(await refusedTotal(k.key), refusedBefore + 1, 'counted in org_limit_refused_total');

    const full = await k.live(A);
    t.equal(full.length, cap, 'the org has exactly its cap');
    t.ok(
      made.every((x) => full.some((y) => y.tag === x)),
      'every accepted one is there',
    );
    t.notOk(
      full.some((x) => x.tag === over),
      'the refused one was not created',
    );
    t.equal(await meta.countLive(A.orgId, k.kind), cap);

    // Caps are per org: B still creates its own while A is full.
    const b = await k.create(B, tag());
    t.ok(ok(b), `another org creates its own: ${b.status}`);

    // Removing one makes room for exactly one.
    const victim = full.find((x) => made.includes(x.tag)) ?? full[0];
    if (!victim) throw new Error('nothing to remove');
    await k.remove(A, victim.id);
    t.equal(await meta.countLive(A.orgId, k.kind), cap - 1, 'a removed one no longer counts');
    const again = await k.create(A, tag());
    t.ok(ok(again), `after one is removed, the next is created: ${again.status}`);
    t.equal((await k.create(A, tag())).status, 409, 'and the one after that is refused again');
    t.equal((await k.live(A)).length, cap);
  });
}

t.test('replacing a preset the org has is never refused, at the cap', async (t) => {
  const live = await KINDS[4]?.live(A);
  t.equal(live?.length, CAPS.presets, 'org A is at its preset cap');
  const name = live?.[0]?.id as string;
  const r = await api(c.base, 'PUT', `/v1/presets/${name}`, A.operator, { targetC: 63, durationMin: 45 });
  t.equal(r.status, 200);
  t.equal((await meta.getPreset({ orgId: A.orgId }, name))?.spec.targetC, 63, 'replaced in the store');
  t.equal(await meta.countLive(A.orgId, 'presets'), CAPS.presets, 'still at the cap, no more');
  t.equal((await api(c.base, 'PUT', '/v1/presets/a-new-one', A.operator, { targetC: 63 })).status, 409, 'a new name still is');
});

t.test('the service operator (the admin functions the CLI calls) is not capped', async (t) => {
  t.equal(await meta.countLive(A.orgId, 'gateways'), CAPS.gateways, 'org A is at its gateway cap');
  await createGateway(meta, uid('cli').toLowerCase(), A.orgId, Date.now());
  await createApiKey(meta, { role: 'viewer', owner: 'operator-made', orgId: A.orgId }, Date.now());
  t.equal(await meta.countLive(A.orgId, 'gateways'), CAPS.gateways + 1, 'above the cap through the CLI path');
  const r = await api(c.base, 'POST', '/v1/gateways', A.admin, { name: uid('gw').toLowerCase() });
  t.equal(r.status, 409, 'the API still refuses');
  t.match(r.body.error.message, `and has ${CAPS.gateways + 1}`);
});
