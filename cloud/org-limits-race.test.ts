import t, { type Test } from 'tap';
import type { OrgObjectKind } from './stores/types.js';
import { uid } from './testing/fixtures.js';
import { api, type RunningCloud, startCloud, startServers, tenant, testConfig } from './testing/servers.js';

/**
 * The org caps hold under concurrent creations (cloud/routes/org-limits.ts, MetaStore.withOrgLock).
 * A count, then an insert, let requests that created at the same time each see room: an org at
 * its cap less one could get several more. Here an org one below each cap fires a burst of
 * creations at once, on the embedded store, and on MariaDB through two cloud instances sharing it;
 * exactly one is created, every other is 409 SV_ERR_ORG_LIMIT, and the store holds exactly the cap.
 * Another org's burst at the same moment is not refused.
 * Two orgs inviting one e-mail at once: one gets it, the other 409, never a 500.
 */
const BURST = 12;
/** A tenant starts with three API keys of its own (admin, operator, viewer). */
const CAP: Record<OrgObjectKind, number> = { gateways: 3, apiKeys: 5, users: 3, channels: 3, presets: 3 };
const caps = {
  'org.maxGateways': CAP.gateways,
  'org.maxApiKeys': CAP.apiKeys,
  'org.maxUsers': CAP.users,
  'org.maxChannels': CAP.channels,
  'org.maxPresets': CAP.presets,
};

type Creds = Awaited<ReturnType<typeof tenant>>;
const CREATE: Record<OrgObjectKind, (base: string, o: Creds, tag: string) => Promise<{ status: number }>> = {
  gateways: (base, o, tag) => api(base, 'POST', '/v1/gateways', o.admin, { name: tag }),
  apiKeys: (base, o, tag) => api(base, 'POST', '/v1/keys', o.admin, { role: 'viewer', owner: tag }),
  users: (base, o, tag) => api(base, 'POST', '/v1/users', o.admin, { email: `${tag}@example.com`, role: 'viewer' }),
  channels: (base, o, tag) => api(base, 'POST', '/v1/notifications/channels', o.admin, { kind: 'ntfy', url: `http://127.0.0.1:9/${tag}` }),
  presets: (base, o, tag) => api(base, 'PUT', `/v1/presets/${tag}`, o.operator, { targetC: 60, durationMin: 30 }),
};
const ok = (s: number) => s === 200 || s === 201;

async function burstAtCap(t: Test, instances: RunningCloud[]) {
  const first = instances[0] as RunningCloud;
  const meta = first.cloud.stores.meta;
  const A = await tenant(first);
  const B = await tenant(first);
  for (const kind of Object.keys(CREATE) as OrgObjectKind[]) {
    const create = CREATE[kind];
    const cap = CAP[kind];
    const tag = () => uid(kind.slice(0, 3)).toLowerCase();
    // A at its cap less one.
    while ((await meta.countLive(A.orgId, kind)) < cap - 1) {
      const r = await create(first.base, A, tag());
      if (!ok(r.status)) throw new Error(`${kind}: setting up, ${r.status}`);
    }
    const startB = await meta.countLive(B.orgId, kind);
    t.equal(await meta.countLive(A.orgId, kind), cap - 1, `${kind}: org A is one below its cap`);
    const results = await Promise.all([
      ...Array.from({ length: BURST }, (_, i) => create((instances[i % instances.length] as RunningCloud).base, A, tag())),
      ...(startB < cap ? [create(first.base, B, tag())] : []),
    ]);
    const forA = results.slice(0, BURST).map((r) => r.status);
    t.equal(forA.filter(ok).length, 1, `${kind}: exactly one of ${BURST} at once is created (${forA.join(' ')})`);
    t.equal(forA.filter((s) => s === 409).length, BURST - 1, `${kind}: every other is 409`);
    t.equal(await meta.countLive(A.orgId, kind), cap, `${kind}: the store holds exactly the cap`);
    if (startB < cap) {
      t.ok(ok((results[BURST] as { status: number }).status), `${kind}: another org's creation at the same moment is taken`);
      t.equal(await meta.countLive(B.orgId, kind), startB + 1, `${kind}: org B has its one more`);
    }
  }
}

t.test('embedded store: one instance', async (t) => {
  const c = await startCloud(t, testConfig(t, undefined, 'org-race', caps));
  await burstAtCap(t, [c]);
});

t.test('MariaDB: two instances sharing it', async (t) => {
  const servers = await startServers(t);
  const one = await startCloud(t, testConfig(t, servers, 'org-race-1', caps));
  const two = await startCloud(t, testConfig(t, servers, 'org-race-2', caps));
  await burstAtCap(t, [one, two]);

  // E-mails are global: two orgs inviting one address at once race on the unique index, not on
  // an org's lock. The loser is told the address is taken (409), never a 500.
  const three = await startCloud(t, testConfig(t, servers, 'org-race-3'));
  const four = await startCloud(t, testConfig(t, servers, 'org-race-4'));
  const [A, B] = [await tenant(three), await tenant(four)];
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) {
    const email = `${uid('dup').toLowerCase()}@example.com`;
    const pair = await Promise.all([
      api(three.base, 'POST', '/v1/users', A.admin, { email, role: 'viewer' }),
      api(four.base, 'POST', '/v1/users', B.admin, { email, role: 'viewer' }),
    ]);
    statuses.push(...pair.map((r) => r.status));
    t.equal(pair.filter((r) => r.status === 201).length, 1, `${email}: one org has it`);
  }
  t.same([...new Set(statuses)].sort(), [201, 409], 'every other answer is 409');
});
