import t from 'tap';
import { runScenario } from './runner.js';
import { redisDown } from './scenarios/redis-down.js';
import { closeStoreServers, startStores } from './topology.js';

/**
 * Short versions of the store scenarios (issue 9, 1–3) on one set of private servers: under
 * steady load from real kits, a store fails and comes back; every acknowledged record is in
 * InfluxDB exactly once.
 */
const stores = await startStores();
t.teardown(() => closeStoreServers(stores));

for (const scenario of [redisDown]) {
  t.test(`${scenario.n}. ${scenario.title}`, async (t) => {
    const r = await runScenario(scenario, { mode: 'short', stores, log: (l) => t.comment(l) });
    for (const e of r.episodes) t.comment(`${e.label}: detect ${e.detectS} s, MTTR ${e.mttrS} s; ${e.signals.join(', ')}`);
    t.comment(r.signature);
    for (const c of r.checks) t.ok(c.ok, `${c.name}${c.detail ? `: ${c.detail}` : ''}`);
    t.equal(r.audit.unexplained, 0, `no unexplained loss (${r.audit.acked} acknowledged, ${r.audit.found} found)`);
    t.equal(r.audit.duplicates, 0, 'no duplicates');
    t.ok(r.audit.acked > 0, 'kits were acknowledged');
  });
}
