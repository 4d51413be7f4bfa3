import t from 'tap';
import { api } from '../cloud/testing/servers.js';
import { startGateway } from '../gateway/testing/fixture.js';
import { MAX_TARGET_HEADER } from '../shared/relay/batch.js';
import { cloudBehindProxy } from './cloud-behind-proxy.js';
import { waitFor } from './harness/index.js';

/**
 * A gateway with `control.maxC` 60 °C accepts cooks up to 57 °C. It tells the cloud with every
 * batch, and the cloud refuses a higher target for that gateway's kits at once (400, the field
 * named), instead of accepting a cook the gateway will refuse. Real gateway, real cloud (MariaDB,
 * Redis, InfluxDB), real HTTP between them.
 */
const env = await cloudBehindProxy(t, 'gwtarget');

t.test('the cloud learns a gateway’s highest target from its batches and refuses cooks above it', async (t) => {
  const gw = await startGateway(t, {
    'control.maxC': 60,
    'cloud.url': env.url,
    'cloud.token': env.creds.gateway.token,
    'relay.lingerMs': 50,
    'relay.idleSyncMs': 300,
  });
  await gw.addKit('kit-low');
  const gatewayRow = () =>
    api(env.cloud.base, 'GET', '/v1/gateways?limit=500', env.creds.admin).then(
      (r) => (r.body as { items: { id: string; maxTargetC: number | null }[] }).items.find((g) => g.id === env.creds.gateway.id) ?? null,
    );
  await waitFor('the gateway’s limit in the cloud', async () => ((await gatewayRow())?.maxTargetC === 57 ? true : undefined), 20_000);
  await waitFor('the kit known to the cloud', async () =>
    (await api(env.cloud.base, 'GET', '/v1/devices/kit-low', env.creds.viewer)).status === 200 ? true : undefined,
  );

  const high = await api(env.cloud.base, 'PUT', '/v1/devices/kit-low/cook', env.creds.operator, { targetC: 58, durationMin: 60 });
  t.equal(high.status, 400, '58 °C is refused by the cloud');
  t.same((high.body as { error: { details: string[] } }).error.details, [
    `body.targetC: at most 57 °C on gateway ${env.creds.gateway.id} (its control.maxC less the overshoot margin)`,
  ]);
  const wayHigh = await api(env.cloud.base, 'PUT', '/v1/devices/kit-low/cook', env.creds.operator, { targetC: 200, durationMin: 60 });
  t.same(
    (wayHigh.body as { error: { details: string[] } }).error.details,
    [`body.targetC: at most 57 °C on gateway ${env.creds.gateway.id} (its control.maxC less the overshoot margin)`],
    "200 °C is named with the gateway's limit, not the schema's 95 °C",
  );
  const desired = (await api(env.cloud.base, 'GET', '/v1/devices/kit-low', env.creds.viewer)).body as { desiredCook: unknown };
  t.equal(desired.desiredCook, null, 'and nothing was queued for the gateway');

  t.equal((await api(env.cloud.base, 'PUT', '/v1/presets/too-hot', env.creds.operator, { targetC: 59, durationMin: 60 })).status, 200);
  const fromPreset = await api(env.cloud.base, 'PUT', '/v1/devices/kit-low/cook/preset/too-hot', env.creds.operator, {});
  t.equal(fromPreset.status, 400, 'a preset above the limit is refused for this kit');
  t.match((fromPreset.body as { error: { details: string[] } }).error.details, [/^preset\.targetC: at most 57 °C on gateway /]);

  const ok = await api(env.cloud.base, 'PUT', '/v1/devices/kit-low/cook', env.creds.operator, { targetC: 57, durationMin: 60 });
  t.equal(ok.status, 200, '57 °C is accepted');
  await waitFor('the cook running on the gateway', async () => {
    const view = gw.gateway.control.view('kit-low');
    return view?.cook?.spec.targetC === 57 ? true : undefined;
  });
  const rejected = gw.db().prepare("SELECT count(*) AS n FROM audit WHERE action = 'cook_rejected'").get() as { n: number };
  t.equal(rejected.n, 0, 'the gateway had nothing to refuse');
});

t.test('a batch without the header (an older gateway) keeps the limit; a malformed one is ignored', async (t) => {
  const batch = (id: string) => ({
    v: 1,
    batchId: id,
    sentAt: Date.now(),
    desiredVersion: 0,
    backlog: { records: 0, bytes: 0, oldestAgeMs: null, dropped: {} },
    records: [],
  });
  const post = (id: string, headers: Record<string, string>) =>
    api(env.cloud.base, 'POST', '/v1/ingest', env.creds.gateway.token, batch(id), headers).then((r) => r.status);
  const limit = async () =>
    (
      (await api(env.cloud.base, 'GET', '/v1/gateways?limit=500', env.creds.admin)).body as {
        items: { id: string; maxTargetC: number | null }[];
      }
    ).items.find((g) => g.id === env.creds.gateway.id)?.maxTargetC;
  t.equal(await post('b-none', {}), 200);
  t.equal(await limit(), 57, 'no header: the last reported limit stays');
  t.equal(await post('b-bad', { [MAX_TARGET_HEADER]: 'hot' }), 200, 'a malformed header does not cost the batch');
  t.equal(await limit(), 57, 'and is not stored');
  t.equal(await post('b-new', { [MAX_TARGET_HEADER]: '87' }), 200);
  t.equal(await limit(), 87, 'a new limit replaces it');
});
