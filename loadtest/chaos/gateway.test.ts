import t from 'tap';
import { gatewayKill } from './scenarios/gateway-kill.js';
import { quotaOutage } from './scenarios/quota-outage.js';
import { shortRun } from './testing.js';
import { closeStoreServers, startStores } from './topology.js';

/** Short versions of the gateway scenarios (docs/chaos-results.md: 6, 8). */
const stores = await startStores();
t.teardown(() => closeStoreServers(stores));

for (const scenario of [gatewayKill, quotaOutage]) {
  t.test(`${scenario.n}. ${scenario.title}`, (t) => shortRun(t, scenario, stores));
}
