import t from 'tap';
import { startServers, testConfig } from '../testing/servers.js';
import { storeContract } from './contract.js';
import { closeStores, createStores, openStores } from './index.js';
import type { Stores } from './types.js';

/** The store contract on the production back-end: private InfluxDB, Redis and MariaDB (test/harness). */
const servers = await startServers(t);
// With notify.secretsKey: here the channel configs are sealed in MariaDB (embedded.test.ts: stored as given).
const config = testConfig(t, servers, 'contract', { 'notify.secretsKey': 'contract-test-key-0123456789abcdef' });
let shared: Stores | undefined;
t.teardown(async () => {
  if (shared) await closeStores(shared);
});

storeContract(t, async () => {
  if (!shared) {
    shared = createStores(config);
    await openStores(shared);
  }
  t.equal(shared.meta.backend, 'mysql');
  return shared;
});
