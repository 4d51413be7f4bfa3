import t from 'tap';
import { cloudInstanceKill } from './scenarios/cloud-instance-kill.js';
import { cloudUnreachable } from './scenarios/cloud-unreachable.js';
import { linkBlackholeSlow } from './scenarios/link-blackhole-slow.js';
import { shortRun } from './testing.js';
import { closeStoreServers, startStores } from './topology.js';

/** Short versions of the gateway → cloud link scenarios (docs/chaos-results.md: 4, 5, 9). */
const stores = await startStores();
t.teardown(() => closeStoreServers(stores));

for (const scenario of [cloudUnreachable, linkBlackholeSlow, cloudInstanceKill]) {
  t.test(`${scenario.n}. ${scenario.title}`, (t) => shortRun(t, scenario, stores));
}
