import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { sousvide, startMariaDb } from '../test/harness/index.js';
import { createGateway, createOrg } from './admin.js';
import { hashSecret } from './auth/tokens.js';
import { closeStores, createStores, openStores } from './stores/index.js';
import { MIGRATIONS } from './stores/sql/migrations.js';
import { T0 } from './testing/fixtures.js';
import { testConfig } from './testing/servers.js';

/** `sousvide cloud migrate | org | gateway | key | device move`, with `--json`, on SQLite and on MariaDB. */
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(...sousvide(args), { encoding: 'utf8', env: { ...process.env, ...env } });
const ALL = MIGRATIONS.map((m) => m.version);
const errorCode = (r: { stderr: string }) => JSON.parse(r.stderr).error.code;

t.test('embedded: migrate, org add, gateway add (token once, stored hashed), key add, list, revoke', async (t) => {
  const config = testConfig(t, undefined, 'cli');
  const dir = ['--data-dir', config.dataDir];
  const m = cli(['cloud', 'migrate', '--json', ...dir]);
  t.equal(m.status, 0, m.stderr);
  t.same(JSON.parse(m.stdout), { backend: 'sqlite', applied: ALL, current: Math.max(...ALL) });
  t.same(JSON.parse(cli(['cloud', 'migrate', '--json', ...dir]).stdout).applied, [], 'a second run applies nothing');

  const o = cli(['cloud', 'org', 'add', 'acme', '--json', ...dir]);
  t.equal(o.status, 0, o.stderr);
  const org = JSON.parse(o.stdout);
  t.same(Object.keys(org).sort(), ['id', 'name']);
  t.equal(org.name, 'acme');
  const taken = cli(['cloud', 'org', 'add', 'acme', '--json', ...dir]);
  t.match(JSON.parse(taken.stderr).error, { code: 'SV_ERR_CONFLICT', details: ['name: already taken'] }, 'names the argument');
  t.equal(errorCode(cli(['cloud', 'org', 'add', 'Not An Org', '--json', ...dir])), 'SV_ERR_VALIDATION');

  const g = cli(['cloud', 'gateway', 'add', 'kitchen-1', '--org', 'acme', '--json', ...dir]);
  t.equal(g.status, 0, g.stderr);
  const gw = JSON.parse(g.stdout);
  t.same(Object.keys(gw).sort(), ['id', 'token']);
  t.equal(gw.id, 'kitchen-1');
  t.match(gw.token, /^svg_[A-Za-z0-9_-]{43}$/);
  const dup = cli(['cloud', 'gateway', 'add', 'kitchen-1', '--org', org.id, '--json', ...dir]);
  t.equal(dup.status, 2, "a name taken is the user's to fix: exit 2");
  t.equal(errorCode(dup), 'SV_ERR_CONFLICT');
  t.equal(errorCode(cli(['cloud', 'gateway', 'add', 'Bad Name!', '--org', 'acme', '--json', ...dir])), 'SV_ERR_VALIDATION');
  const noOrg = cli(['cloud', 'gateway', 'add', 'kitchen-2', '--json', ...dir]);
  t.equal(noOrg.status, 2);
  t.match(JSON.parse(noOrg.stderr).error, { code: 'SV_ERR_CLI_USAGE', details: ['--org: required'] });
  const unknownOrg = cli(['cloud', 'gateway', 'add', 'kitchen-2', '--org', 'nope', '--json', ...dir]);
  t.match(JSON.parse(unknownOrg.stderr).error, { code: 'SV_ERR_NOT_FOUND', details: [/^--org: /] });

  const k = cli(['cloud', 'key', 'add', '--org', 'acme', '--role', 'operator', '--owner', 'oscar', '--json', ...dir]);
  t.equal(k.status, 0, k.stderr);
  const key = JSON.parse(k.stdout);
  t.same(Object.keys(key).sort(), ['id', 'key']);
  const limited = JSON.parse(
    cli(['cloud', 'key', 'add', '--org', 'acme', '--role', 'viewer', '--gateway', 'kitchen-1', '--json', ...dir]).stdout,
  );
  t.match(limited, { id: /^key-/, key: /^svk_/ });
  t.match(
    JSON.parse(cli(['cloud', 'key', 'add', '--org', 'acme', '--role', 'viewer', '--gateway', 'nowhere', '--json', ...dir]).stderr).error,
    { code: 'SV_ERR_NOT_FOUND', details: ['--gateway: no such gateway in the org'] },
    'names the flag',
  );
  const noRole = cli(['cloud', 'key', 'add', '--org', 'acme', '--json', ...dir]);
  t.equal(noRole.status, 2);
  t.equal(errorCode(noRole), 'SV_ERR_CLI_USAGE');
  t.equal(errorCode(cli(['cloud', 'key', 'add', '--org', 'acme', '--role', 'root', '--json', ...dir])), 'SV_ERR_VALIDATION');

  const keys = JSON.parse(cli(['cloud', 'key', 'list', '--org', 'acme', '--json', ...dir]).stdout);
  t.same(
    keys.map((x: { id: string; role: string; gatewayId: string | null }) => [x.id, x.role, x.gatewayId]).sort(),
    [
      [key.id, 'operator', null],
      [limited.id, 'viewer', 'kitchen-1'],
    ].sort(),
  );
  t.notOk(JSON.stringify(keys).includes(key.key), 'a listing never shows a key');
  const gws = JSON.parse(cli(['cloud', 'gateway', 'list', '--json', ...dir]).stdout);
  t.match(gws, [{ id: 'kitchen-1', orgId: org.id, revokedMs: null }]);

  const u = cli(['cloud', 'user', 'add', 'cook@acme.test', '--org', 'acme', '--role', 'operator', '--json', ...dir]);
  t.equal(u.status, 0, u.stderr);
  const user = JSON.parse(u.stdout);
  t.same(Object.keys(user).sort(), ['id', 'inviteUrl']);
  t.match(user.inviteUrl, /^http:\/\/localhost:\d+\/dashboard\/#\/invite\/svi_[A-Za-z0-9_-]{43}$/);
  const pw = spawnSync(
    ...sousvide(['cloud', 'user', 'add', 'chef@acme.test', '--org', 'acme', '--role', 'admin', '--password-stdin', '--json', ...dir]),
    {
      encoding: 'utf8',
      input: 'a passphrase from stdin\n',
    },
  );
  t.equal(pw.status, 0, pw.stderr);
  t.match(JSON.parse(pw.stdout), { id: /^usr-/, inviteUrl: null });
  const weak = spawnSync(
    ...sousvide(['cloud', 'user', 'add', 'weak@acme.test', '--org', 'acme', '--role', 'viewer', '--password-stdin', '--json', ...dir]),
    {
      encoding: 'utf8',
      input: 'short\n',
    },
  );
  t.match(JSON.parse(weak.stderr).error, { code: 'SV_ERR_VALIDATION', details: ['password: at least 12 characters'] });
  // Without --json, the reasons are on the lines under the message: which rule the password broke.
  const weakText = spawnSync(
    ...sousvide(['cloud', 'user', 'add', 'weak@acme.test', '--org', 'acme', '--role', 'viewer', '--password-stdin', ...dir]),
    { encoding: 'utf8', input: 'short\n' },
  );
  t.equal(
    weakText.stderr,
    'sousvide cloud user add: the password does not meet the policy\n  password: at least 12 characters\n',
    'the text error names the rule',
  );
  const badName = cli(['cloud', 'org', 'add', 'Not An Org', ...dir]);
  t.equal(
    badName.stderr,
    'sousvide cloud org add: invalid org name "Not An Org"\n  name: lowercase letters, digits and "-", 2–63 characters\n',
    'and what a name may hold',
  );
  t.equal(badName.status, 2, "an invalid name is the user's to fix: exit 2");
  t.equal(
    errorCode(cli(['cloud', 'user', 'add', 'not-an-email', '--org', 'acme', '--role', 'viewer', '--json', ...dir])),
    'SV_ERR_VALIDATION',
  );
  const adm = cli(['cloud', 'admin', 'add', 'root@service.test', '--json', ...dir]);
  t.equal(adm.status, 0, adm.stderr);
  t.match(JSON.parse(adm.stdout), { id: /^usr-/, inviteUrl: /invite\/svi_/ });

  const stores = createStores(config);
  await openStores(stores);
  t.match(await stores.meta.gatewayByTokenHash(hashSecret(gw.token)), { id: 'kitchen-1', orgId: org.id }, 'only the hash is needed');
  t.match(await stores.meta.apiKeyByHash(hashSecret(key.key)), { role: 'operator', owner: 'oscar', orgId: org.id, gatewayId: null });
  t.match(await stores.meta.apiKeyByHash(hashSecret(limited.key)), { role: 'viewer', gatewayId: 'kitchen-1' });
  t.match(await stores.meta.users.userByEmail('chef@acme.test'), { orgId: org.id, role: 'admin', passwordHash: /^\$argon2id\$/ });
  t.match(await stores.meta.users.userByEmail('root@service.test'), { orgId: 'default', serviceAdmin: true, passwordHash: null });
  await closeStores(stores);
  const db = spawnSync('grep', ['-c', gw.token, `${config.dataDir}/cloud.db`], { encoding: 'utf8' });
  t.equal(db.stdout.trim(), '0', 'the token itself is not in the database file');

  const rotated = cli(['cloud', 'gateway', 'rotate', 'kitchen-1', '--grace-s', '0', '--json', ...dir]);
  t.equal(rotated.status, 0, rotated.stderr);
  const fresh = JSON.parse(rotated.stdout);
  t.match(fresh, { id: 'kitchen-1', token: /^svg_/, previousTokenUntilMs: null });
  t.not(fresh.token, gw.token, 'a new token');
  const graced = cli(['cloud', 'gateway', 'rotate', 'kitchen-1', '--grace-s', '120', '--json', ...dir]);
  t.equal(graced.status, 0, graced.stderr);
  const last = JSON.parse(graced.stdout);
  t.ok(Math.abs(last.previousTokenUntilMs - (Date.now() + 120_000)) < 60_000, 'the grace asked for');
  for (const bad of ['soon', '-1', '604801', '1.5']) {
    const r = cli(['cloud', 'gateway', 'rotate', 'kitchen-1', '--grace-s', bad, '--json', ...dir]);
    t.match(JSON.parse(r.stderr).error, { code: 'SV_ERR_CLI_USAGE', details: [`--grace-s: ${bad}`] }, `--grace-s ${bad} names the flag`);
  }
  t.match(JSON.parse(cli(['cloud', 'gateway', 'rotate', 'nowhere-1', '--json', ...dir]).stderr).error, {
    code: 'SV_ERR_NOT_FOUND',
    details: ['id: no active gateway'],
  });
  const rotatedStores = createStores(config);
  await openStores(rotatedStores);
  t.equal(await rotatedStores.meta.gatewayByTokenHash(hashSecret(gw.token)), null, 'the first token is no longer the gateway’s');
  t.equal(await rotatedStores.meta.gatewayByPreviousTokenHash(hashSecret(gw.token), Date.now()), null, 'rotated with no grace: gone');
  t.match(
    await rotatedStores.meta.gatewayByPreviousTokenHash(hashSecret(fresh.token), Date.now()),
    { id: 'kitchen-1' },
    'the second is in its grace',
  );
  t.match(await rotatedStores.meta.gatewayByTokenHash(hashSecret(last.token)), { id: 'kitchen-1', orgId: org.id });
  const rotations = (await rotatedStores.meta.listAudit({ orgId: org.id }, {}, { limit: 100 })).items.filter(
    (a) => a.action === 'gateway.token.rotate',
  );
  t.same(
    rotations.map((a) => (a.data as { graceS: number }).graceS).sort(),
    [0, 120],
    'each rotation is audited in the org, with its grace',
  );
  await closeStores(rotatedStores);

  t.same(JSON.parse(cli(['cloud', 'key', 'revoke', key.id, '--json', ...dir]).stdout), { id: key.id, revoked: true });
  t.equal(cli(['cloud', 'key', 'revoke', key.id, ...dir]).status, 2, 'already revoked');
  t.equal(cli(['cloud', 'gateway', 'revoke', 'kitchen-1', ...dir]).status, 0);
  t.equal(cli(['cloud', 'gateway', 'revoke', 'kitchen-1', ...dir]).status, 2, 'already revoked');

  t.match(JSON.parse(cli(['cloud', 'user', 'remove', 'Cook@acme.test', '--json', ...dir]).stdout), {
    id: user.id,
    email: 'cook@acme.test',
    orgId: org.id,
    removed: true,
  });
  const again = cli(['cloud', 'user', 'remove', 'cook@acme.test', '--json', ...dir]);
  t.equal(again.status, 2, 'removed once');
  t.match(JSON.parse(again.stderr).error, { code: 'SV_ERR_NOT_FOUND', details: ['email: no such user'] });
  const after = createStores(config);
  await openStores(after);
  t.equal(await after.meta.users.userByEmail('cook@acme.test'), null, 'the user is gone');
  t.match(await after.meta.users.userByEmail('chef@acme.test'), { orgId: org.id }, 'the org keeps its other user');
  const trail = await after.meta.listAudit({ orgId: org.id }, { action: 'user.remove' }, { limit: 5 });
  t.match(trail.items, [{ data: { removedUserId: user.id, email: 'cook@acme.test', via: 'cli' } }], "audited in the user's org");
  await closeStores(after);

  // user role: chef is acme's only admin until line is promoted.
  const line = JSON.parse(cli(['cloud', 'user', 'add', 'line@acme.test', '--org', 'acme', '--role', 'viewer', '--json', ...dir]).stdout);
  const lastAdmin = cli(['cloud', 'user', 'role', 'chef@acme.test', 'viewer', '--json', ...dir]);
  t.equal(lastAdmin.status, 2, "the org's only admin is not demoted");
  t.match(JSON.parse(lastAdmin.stderr).error, {
    code: 'SV_ERR_CONFLICT',
    message: /add or promote another admin first/,
    details: ['email: the only admin of the org'],
  });
  const promoted = cli(['cloud', 'user', 'role', 'Line@acme.test', 'admin', '--json', ...dir]);
  t.equal(promoted.status, 0, promoted.stderr);
  t.same(JSON.parse(promoted.stdout), {
    id: line.id,
    email: 'line@acme.test',
    orgId: org.id,
    role: 'admin',
    oldRole: 'viewer',
    revokedKeys: [],
    withdrawnInvites: [],
  });
  t.equal(cli(['cloud', 'user', 'role', 'chef@acme.test', 'operator', ...dir]).stdout, 'user chef@acme.test: admin -> operator\n');
  t.equal(cli(['cloud', 'user', 'role', 'chef@acme.test', 'operator', ...dir]).stdout, 'user chef@acme.test is already operator\n');
  const roleMissing = cli(['cloud', 'user', 'role', 'chef@acme.test', '--json', ...dir]);
  t.equal(roleMissing.status, 2, 'a missing role is a usage error');
  t.match(JSON.parse(roleMissing.stderr).error, { code: 'SV_ERR_CLI_USAGE', details: ['role: required'] });
  const badRole = cli(['cloud', 'user', 'role', 'chef@acme.test', 'root', ...dir]);
  t.equal(badRole.status, 2);
  t.equal(
    badRole.stderr,
    'sousvide cloud user role: invalid role "root" (one of viewer, operator, admin)\n',
    'a bad role: one line naming the roles, no stack trace',
  );
  t.match(JSON.parse(cli(['cloud', 'user', 'role', 'nobody@acme.test', 'viewer', '--json', ...dir]).stderr).error, {
    code: 'SV_ERR_NOT_FOUND',
    details: ['email: no such user'],
  });
  const roles = createStores(config);
  await openStores(roles);
  t.match(await roles.meta.users.userByEmail('chef@acme.test'), { role: 'operator' });
  t.match(await roles.meta.users.userByEmail('line@acme.test'), { role: 'admin' });
  const changes = await roles.meta.listAudit({ orgId: org.id }, { action: 'user.role' }, { limit: 5 });
  t.match(
    changes.items,
    [
      { data: { changedUserId: /^usr-/, email: 'chef@acme.test', oldRole: 'admin', newRole: 'operator', via: 'cli' } },
      { data: { changedUserId: line.id, email: 'line@acme.test', oldRole: 'viewer', newRole: 'admin', via: 'cli' } },
    ],
    "each change audited once in the user's org (the no-op is not)",
  );
  await closeStores(roles);
});

t.test('device move: device ids are per org; --org says which org when several have the id', async (t) => {
  const config = testConfig(t, undefined, 'cli-move');
  const dir = ['--data-dir', config.dataDir];
  const ok = (args: string[]) => {
    const r = cli(['cloud', ...args, '--json', ...dir]);
    t.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout ? JSON.parse(r.stdout) : null;
  };
  // The orgs and gateways through the store (the commands that make them are tested above): each
  // org's first gateway reports a kit-1 of its own; only acme has a kit-2.
  let stores = createStores(config);
  await openStores(stores);
  const acme = (await createOrg(stores.meta, 'acme', T0)).id;
  const globex = (await createOrg(stores.meta, 'globex', T0)).id;
  for (const [gw, org] of [
    ['acme-1', acme],
    ['acme-2', acme],
    ['globex-1', globex],
    ['globex-2', globex],
  ] as const) {
    await createGateway(stores.meta, gw, org, T0);
  }
  t.same([...(await stores.meta.resolveDevices('acme-1', acme, [], ['kit-1', 'kit-2'], T0)).refused], []);
  t.same(
    [...(await stores.meta.resolveDevices('globex-1', globex, [], ['kit-1'], T0)).refused],
    [],
    'the same id in another org: its own kit',
  );
  await closeStores(stores);

  const both = cli(['cloud', 'device', 'move', 'kit-1', '--to', 'acme-2', '--json', ...dir]);
  t.equal(both.status, 2, 'two orgs have kit-1: a usage error');
  t.match(JSON.parse(both.stderr).error, {
    code: 'SV_ERR_CLI_USAGE',
    message: 'device kit-1 is in 2 orgs (acme, globex): pass --org to say which',
    details: ['--org: required, orgs acme, globex each have a device kit-1'],
  });
  t.equal(
    cli(['cloud', 'device', 'move', 'kit-1', '--to', 'acme-2', ...dir]).stderr,
    'sousvide cloud device move: device kit-1 is in 2 orgs (acme, globex): pass --org to say which\n  --org: required, orgs acme, globex each have a device kit-1\n',
    'in text: one line, and the flag it needs',
  );
  t.match(
    ok(['device', 'move', 'kit-2', '--to', 'acme-2']),
    { id: 'kit-2', orgId: acme, gatewayId: 'acme-2' },
    'one org has kit-2: no --org needed',
  );
  t.match(
    ok(['device', 'move', 'kit-1', '--to', 'acme-2', '--org', 'acme']),
    { id: 'kit-1', orgId: acme, gatewayId: 'acme-2' },
    '--org by name',
  );
  const wrongOrg = cli(['cloud', 'device', 'move', 'kit-1', '--to', 'globex-2', '--org', acme, '--json', ...dir]);
  t.equal(wrongOrg.status, 2);
  t.match(
    JSON.parse(wrongOrg.stderr).error,
    { code: 'SV_ERR_NOT_FOUND', details: ['--to: no such active gateway'] },
    "not to another org's gateway",
  );
  const notThere = cli(['cloud', 'device', 'move', 'kit-2', '--to', 'globex-2', '--org', 'globex', '--json', ...dir]);
  t.match(
    JSON.parse(notThere.stderr).error,
    { code: 'SV_ERR_NOT_FOUND', details: ['id: no such device in the org'] },
    'globex has no kit-2',
  );
  const unknown = cli(['cloud', 'device', 'move', 'kit-9', '--to', 'acme-1', '--json', ...dir]);
  t.match(JSON.parse(unknown.stderr).error, { code: 'SV_ERR_NOT_FOUND', details: ['id: no such device'] }, 'no org has kit-9');
  const noOrg = cli(['cloud', 'device', 'move', 'kit-1', '--to', 'acme-1', '--org', 'nope', '--json', ...dir]);
  t.match(JSON.parse(noOrg.stderr).error, { code: 'SV_ERR_NOT_FOUND', details: [/^--org: /] });

  stores = createStores(config);
  await openStores(stores);
  t.match(await stores.meta.getDevice({ orgId: acme }, 'kit-1'), { gatewayId: 'acme-2', revokedMs: null }, "acme's kit-1 moved");
  t.match(await stores.meta.getDevice({ orgId: globex }, 'kit-1'), { gatewayId: 'globex-1' }, "globex's kit-1 did not");
  const moves = async (orgId: string) =>
    (await stores.meta.listAudit({ orgId }, { action: 'device.move' }, { limit: 10 })).items.map((a) => [a.deviceId, a.data.to]).sort();
  t.same(await moves(acme), [
    ['kit-1', 'acme-2'],
    ['kit-2', 'acme-2'],
  ]);
  t.same(await moves(globex), [], "and globex's audit has no move");
  await closeStores(stores);
  t.match(ok(['device', 'move', 'kit-1', '--to', 'globex-2', '--org', globex]), { orgId: globex, gatewayId: 'globex-2' }, '--org by id');
});

t.test('production: migrate, org add and gateway add against MariaDB', async (t) => {
  const mysql = await startMariaDb(t);
  // directUrl: spawnSync blocks this process, and with it the harness's fault proxy.
  const env = { SV_CLOUD_MYSQL_URL: mysql.directUrl };
  const m = cli(['cloud', 'migrate', '--json'], env);
  t.equal(m.status, 0, m.stderr);
  t.same(JSON.parse(m.stdout), { backend: 'mysql', applied: ALL, current: Math.max(...ALL) });
  const org = JSON.parse(cli(['cloud', 'org', 'add', 'site-org', '--json'], env).stdout);
  const g = cli(['cloud', 'gateway', 'add', 'site-7', '--org', org.id, '--json'], env);
  t.equal(g.status, 0, g.stderr);
  t.equal(JSON.parse(g.stdout).id, 'site-7');
});

t.test('only the cloud (or cloud migrate) creates the embedded store: the admin commands refuse a data dir without one', async (t) => {
  const config = testConfig(t, undefined, 'nostore');
  const typo = `${config.dataDir}/mistyped`;
  for (const args of [
    ['cloud', 'org', 'list'],
    ['cloud', 'org', 'add', 'acme'],
    ['cloud', 'admin', 'add', 'root@example.com'],
    ['cloud', 'key', 'add', '--org', 'acme', '--role', 'viewer'],
    ['cloud', 'gateway', 'list'],
  ]) {
    const r = cli([...args, '--data-dir', typo]);
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    t.equal(
      r.stderr,
      `sousvide ${args.slice(0, 3).join(' ')}: no cloud store at ${typo} (start the cloud or run sousvide cloud migrate there first, or pass --data-dir)\n`,
      `${args.join(' ')}: says why, in one line`,
    );
  }
  t.notOk(existsSync(typo), 'made nothing');
  const json = cli(['cloud', 'org', 'list', '--json', '--data-dir', typo]);
  t.match(JSON.parse(json.stderr).error, { code: 'SV_ERR_NO_STORE', details: [/^dataDir: no cloud store at /] });

  const junk = `${config.dataDir}/junk`;
  mkdirSync(junk, { recursive: true });
  writeFileSync(join(junk, 'cloud.db'), Buffer.alloc(4096, 'junk'));
  const damaged = cli(['cloud', 'org', 'list', '--data-dir', junk]);
  t.equal(damaged.status, 2, 'a cloud.db that is not a database: exit 2');
  t.equal(
    damaged.stderr,
    `sousvide cloud org list: store ${join(junk, 'cloud.db')} is not a SQLite database (SQLITE_NOTADB); restore it from a backup, or point the data dir elsewhere\n`,
    'one line naming the file, no stack trace',
  );

  const m = cli(['cloud', 'migrate', '--json', '--data-dir', typo]);
  t.equal(m.status, 0, `migrate creates it: ${m.stderr}`);
  t.ok(existsSync(join(typo, 'cloud.db')));
  const list = cli(['cloud', 'org', 'list', '--json', '--data-dir', typo]);
  t.equal(list.status, 0, list.stderr);
  t.match(JSON.parse(list.stdout), [{ id: 'default' }], 'then the commands use it');
});
