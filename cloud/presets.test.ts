import t from 'tap';
import { batch, registry, telemetry, uid } from './testing/fixtures.js';
import { api, credentials, startCloud, tenant, testConfig } from './testing/servers.js';

/**
 * Cook presets per org on the cloud (embedded SQLite store; the store contract runs the same
 * methods on MySQL): create, replace, page, delete, start a cook from one, the food-safety rule,
 * and another org's preset answering 404. Answers are checked against the rows the store holds.
 */
const c = await startCloud(t, testConfig(t, undefined, 'presets'));
const creds = await credentials(c);
const meta = c.cloud.stores.meta;
const scope = { orgId: creds.orgId };
const kit = uid('kit').toLowerCase();
const seeded = await api(c.base, 'POST', '/v1/ingest', creds.gateway.token, batch([registry([kit]), telemetry(kit, 1, 1)]));
t.equal(seeded.status, 200, 'the kit is known to the cloud');

const steak = { targetC: 56.5, durationMin: 90, food: 'steak', foodKind: 'beef-pork' as const, thicknessMm: 30 };

t.test('create, replace, list with cursor paging, delete', async (t) => {
  const put = await api(c.base, 'PUT', '/v1/presets/steak', creds.operator, steak);
  t.equal(put.status, 200);
  t.match(put.body, { name: 'steak', spec: steak });
  t.same((await meta.getPreset(scope, 'steak'))?.spec, steak, 'stored as sent');
  await api(c.base, 'PUT', '/v1/presets/egg', creds.operator, { targetC: 63, durationMin: 45 });
  const replaced = await api(c.base, 'PUT', '/v1/presets/steak', creds.operator, { ...steak, targetC: 55 });
  t.equal(replaced.status, 200);
  t.equal((await meta.getPreset(scope, 'steak'))?.spec.targetC, 55, 'a PUT replaces');

  const first = await api(c.base, 'GET', '/v1/presets?limit=1', creds.viewer);
  t.equal(first.status, 200);
  t.same(
    first.body.items.map((p: { name: string }) => p.name),
    ['egg'],
  );
  t.type(first.body.nextCursor, 'string');
  const second = await api(c.base, 'GET', `/v1/presets?limit=1&cursor=${first.body.nextCursor}`, creds.viewer);
  t.same(
    second.body.items.map((p: { name: string }) => p.name),
    ['steak'],
  );
  t.equal(second.body.nextCursor, null);

  t.equal((await api(c.base, 'DELETE', '/v1/presets/egg', creds.operator)).status, 204);
  t.equal(await meta.getPreset(scope, 'egg'), null, 'deleted from the store');
  const again = await api(c.base, 'DELETE', '/v1/presets/egg', creds.operator);
  t.equal(again.status, 404);
  t.equal(again.body.error.code, 'SV_ERR_NOT_FOUND');
  const trail = (await meta.listAudit(scope, { action: 'preset.put' }, { limit: 10 })).items;
  t.equal(trail.length, 3, 'every change is audited');
  t.match(trail[0], { actor: { type: 'user', id: 'oscar' }, data: { preset: 'steak' } });
});

t.test('bad input: 400 naming the field; roles', async (t) => {
  const badName = await api(c.base, 'PUT', '/v1/presets/Not_A_Name', creds.operator, steak);
  t.equal(badName.status, 400);
  t.match(badName.body.error.details, [/^params\.name: must match/]);
  const badSpec = await api(c.base, 'PUT', '/v1/presets/hot', creds.operator, { targetC: 200 });
  t.equal(badSpec.status, 400);
  t.match(badSpec.body.error.details, [/^body\.targetC/]);
  const extra = await api(c.base, 'PUT', '/v1/presets/hot', creds.operator, { targetC: 60, lowTempOverride: true });
  t.equal(extra.status, 400, 'the override is given per cook, never stored in a preset');
  t.equal(await meta.getPreset(scope, 'hot'), null, 'nothing stored');
  t.equal((await api(c.base, 'PUT', '/v1/presets/hot', creds.viewer, steak)).status, 403, 'a viewer cannot write presets');
  t.equal((await api(c.base, 'GET', '/v1/presets?cursor=%%%', creds.viewer)).status, 400, 'a forged cursor');
});

t.test('a cook started from a preset runs its spec (desired cook, audited)', async (t) => {
  await api(c.base, 'PUT', '/v1/presets/steak', creds.operator, steak);
  const r = await api(c.base, 'PUT', `/v1/devices/${kit}/cook/preset/steak`, creds.operator, { reason: 'dinner' });
  t.equal(r.status, 200);
  t.match(r.body, { deviceId: kit, spec: steak, preset: 'steak' });
  const desired = await meta.getDesiredCook(scope, kit);
  t.same(desired?.spec, steak, 'the desired cook is the preset spec');
  t.equal(desired?.cookId, r.body.cookId);
  const sync = await api(c.base, 'POST', '/v1/ingest', creds.gateway.token, batch([], 0));
  t.match(sync.body.desired.devices, [{ deviceId: kit, cook: { spec: steak } }], 'the gateway hears it');
  const trail = (await meta.listAudit(scope, { action: 'cook.set', deviceId: kit }, { limit: 1 })).items;
  t.match(trail, [{ reason: 'dinner', data: { preset: 'steak', spec: steak } }]);

  const unknown = await api(c.base, 'PUT', `/v1/devices/${kit}/cook/preset/nope`, creds.operator);
  t.equal(unknown.status, 404);
  t.match(unknown.body.error.details, ['params.name: no such preset']);
  const noKit = await api(c.base, 'PUT', `/v1/devices/${uid('kit').toLowerCase()}/cook/preset/steak`, creds.operator);
  t.equal(noKit.status, 404);
  t.match(noKit.body.error.details, ['params.id: no such device']);
});

t.test('the low-temperature rule holds for a preset too', async (t) => {
  const low = { targetC: 52, durationMin: 300 };
  t.equal((await api(c.base, 'PUT', '/v1/presets/low', creds.operator, low)).status, 200, 'a preset may be low');
  const before = await meta.getDesiredCook(scope, kit);
  const refused = await api(c.base, 'PUT', `/v1/devices/${kit}/cook/preset/low`, creds.operator, {});
  t.equal(refused.status, 400);
  t.match(refused.body.error.details, [/^body\.lowTempOverride: required/]);
  t.same(await meta.getDesiredCook(scope, kit), before, 'nothing set');
  const ok = await api(c.base, 'PUT', `/v1/devices/${kit}/cook/preset/low`, creds.operator, { lowTempOverride: true });
  t.equal(ok.status, 200);
  t.same((await meta.getDesiredCook(scope, kit))?.spec, { ...low, lowTempOverride: true });
});

t.test("another org's preset answers 404 and stays unchanged", async (t) => {
  const other = await tenant(c);
  t.equal((await api(c.base, 'PUT', '/v1/presets/theirs', other.operator, { targetC: 70 })).status, 200);
  t.same(
    (await api(c.base, 'GET', '/v1/presets', creds.viewer)).body.items.map((p: { name: string }) => p.name),
    ['low', 'steak'],
    'not in our list',
  );
  const del = await api(c.base, 'DELETE', '/v1/presets/theirs', creds.operator);
  t.equal(del.status, 404);
  const use = await api(c.base, 'PUT', `/v1/devices/${kit}/cook/preset/theirs`, creds.operator);
  t.equal(use.status, 404);
  t.equal(use.body.error.code, 'SV_ERR_NOT_FOUND');
  t.match(await meta.getPreset({ orgId: other.orgId }, 'theirs'), { spec: { targetC: 70 } }, "the other org's preset is unchanged");
  const ours = await api(c.base, 'PUT', `/v1/devices/${kit}/cook/preset/steak`, other.operator);
  t.equal(ours.status, 404, 'and they cannot start a cook on our kit');
});

t.test('a DELETE that takes no body refuses one, naming each field, and removes nothing', async (t) => {
  await api(c.base, 'PUT', '/v1/presets/kept', creds.operator, steak);
  const del = await api(c.base, 'DELETE', '/v1/presets/kept', creds.operator, { x: 1 });
  t.same(
    [del.status, del.body.error.code, del.body.error.details],
    [400, 'SV_ERR_VALIDATION', ['body.x: unknown field (this request takes no body)']],
  );
  t.ok(await meta.getPreset(scope, 'kept'), 'the preset is still there');
  const key = await api(c.base, 'POST', '/v1/keys', creds.admin, { role: 'viewer', owner: 'temp' });
  const revoke = await api(c.base, 'DELETE', `/v1/keys/${key.body.id}`, creds.admin, { reason: 'leaked' });
  t.same([revoke.status, revoke.body.error.details], [400, ['body.reason: unknown field (this request takes no body)']]);
  t.equal((await api(c.base, 'GET', '/v1/presets', key.body.key)).status, 200, 'the key still works');
  const gw = await api(c.base, 'POST', '/v1/gateways', creds.admin, { name: uid('gw').toLowerCase() });
  t.equal((await api(c.base, 'DELETE', `/v1/gateways/${gw.body.id}`, creds.admin, { graceS: 0 })).status, 400);
  t.equal((await api(c.base, 'POST', '/v1/ingest', gw.body.token, batch([]))).status, 200, 'the gateway token still works');
  t.equal((await api(c.base, 'DELETE', '/v1/presets/kept', creds.operator)).status, 204, 'without a body: deleted');
});
