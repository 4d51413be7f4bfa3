import t from 'tap';
import { createGateway } from '../../cloud/admin.js';
import { closeStores, createStores, openStores } from '../../cloud/stores/index.js';
import { DEFAULT_ORG } from '../../cloud/stores/types.js';
import { event, telemetry } from '../../cloud/testing/fixtures.js';
import { testConfig } from '../../cloud/testing/servers.js';
import { onlySinks } from './sink-filter.js';

/** `bench cloud`'s "each sink alone": the real embedded stores, with only the chosen sinks writing batches. */
t.test('only the chosen sink writes; every other store call goes to the real store', async (t) => {
  const real = createStores(testConfig(t, undefined, 'embedded'));
  await openStores(real);
  t.teardown(() => closeStores(real));
  const stores = onlySinks(real, ['redis']);
  const now = Date.now();
  const gw = await createGateway(stores.meta, 'bench-filter', DEFAULT_ORG, now);
  t.ok(gw.id, 'the meta store still creates gateways (not an ingest write)');

  const tel = [telemetry('kit-sf1', 1, 0, { rxTs: now }), telemetry('kit-sf1', 1, 1, { rxTs: now })];
  await stores.telemetry.write(gw.id, tel);
  t.same(await real.telemetry.points({ deviceId: 'kit-sf1', gatewayIds: [gw.id] }, 0, now + 60_000), [], 'influx is off: no point written');
  await stores.state.apply(gw.id, DEFAULT_ORG, tel, [], now);
  t.equal((await real.state.latest(DEFAULT_ORG, ['kit-sf1'], now)).get('kit-sf1')?.seq, 1, 'redis is on: the latest state is written');
  const meta = {
    batchId: 'b-sf1',
    backlog: { records: 0, bytes: 0, oldestAgeMs: null, dropped: {} },
    devices: new Map([['kit-sf1', now]]),
    events: [event('kit-sf1')],
    audit: [],
    commandResults: [],
    cooks: [],
  };
  t.same(
    await stores.meta.ingest(gw.id, DEFAULT_ORG, meta as never, now),
    { inserted: 0, duplicates: 0, alarms: [] },
    'mysql is off: accepted without a write',
  );
  t.equal(await real.meta.countRows('events'), 0, 'no event row');
  t.equal(stores.meta.backend, real.meta.backend, 'properties come from the real store');
});
