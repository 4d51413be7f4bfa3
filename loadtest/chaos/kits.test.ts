import t from 'tap';
import { gatewayRestartStorm } from './scenarios/gateway-restart-storm.js';
import { kitClock } from './scenarios/kit-clock.js';
import { shortRun } from './testing.js';
import { closeStoreServers, startStores } from './topology.js';

/** Short versions of the kit-side scenarios (docs/chaos-results.md: 7 reconnect storm, 10 wrong clocks). */
const stores = await startStores();
t.teardown(() => closeStoreServers(stores));

for (const scenario of [gatewayRestartStorm, kitClock]) {
  t.test(`${scenario.n}. ${scenario.title}`, (t) => shortRun(t, scenario, stores));
}
