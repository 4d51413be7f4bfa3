import type { Test } from 'tap';
import { runScenario } from './runner.js';
import type { Scenario } from './scenario.js';
import type { Stores } from './topology.js';

/** Runs a scenario's short version as a tap subtest and asserts on its data (the loss audit) and checks. */
export async function shortRun(t: Test, scenario: Scenario, stores: Stores): Promise<void> {
  const r = await runScenario(scenario, { mode: 'short', stores, log: (l) => t.comment(l) });
  for (const e of r.episodes)
    t.comment(`${e.label}: detect ${e.detectS.toFixed(1)} s, MTTR ${e.mttrS.toFixed(1)} s; ${e.signals.join(', ')}`);
  for (const n of r.notes) t.comment(n);
  for (const c of r.checks) t.ok(c.ok, `${c.name}${c.detail ? `: ${c.detail}` : ''}`);
  t.ok(r.audit.acked > 0, `kits were acknowledged (${r.audit.acked})`);
  t.equal(
    r.audit.unexplained,
    0,
    `no unexplained loss (${r.audit.found} of ${r.audit.acked} found, ${r.audit.explained} evicted and counted)`,
  );
  t.equal(r.audit.duplicates, 0, 'no duplicates in InfluxDB');
}
