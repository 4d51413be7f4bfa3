import t from 'tap';
import { influxSlowDown } from './scenarios/influx-slow-down.js';
import { mysqlDown } from './scenarios/mysql-down.js';
import { redisDown } from './scenarios/redis-down.js';
import { shortRun } from './testing.js';
import { closeStoreServers, startStores } from './topology.js';

/**
 * Short versions of the store scenarios (docs/chaos-results.md: 1–3) on one set of private servers: under
 * steady load from real kits a store fails and comes back; every acknowledged record is in
 * InfluxDB exactly once.
 */
const stores = await startStores();
t.teardown(() => closeStoreServers(stores));

for (const scenario of [redisDown, influxSlowDown, mysqlDown]) {
  t.test(`${scenario.n}. ${scenario.title}`, (t) => shortRun(t, scenario, stores));
}
