import t from 'tap';
import { testConfig } from '../testing/servers.js';
import { storeContract } from './contract.js';
import { closeStores, createStores, openStores } from './index.js';

/** The store contract on the embedded back-end: one SQLite file, no servers (the default with no URLs). */
storeContract(t, async (tt) => {
  const stores = createStores(testConfig(tt, undefined, 'embedded'));
  await openStores(stores);
  tt.teardown(() => closeStores(stores));
  t.equal(stores.meta.backend, 'sqlite');
  return stores;
});
