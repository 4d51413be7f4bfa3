import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { closeStoreServers, startStores, Topology } from './topology.js';

/**
 * A topology whose gateway cannot start (here an option it refuses) fails at once with the
 * gateway's log named, and stops the cloud it had started: nothing outlives the failed run.
 */
const stores = await startStores();
t.teardown(() => closeStoreServers(stores));

/** The processes whose command line names `dir` (the run's cloud and gateway take their data dirs in it). */
function processesIn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

t.test('a gateway that cannot start: the error names its log, and the cloud process is stopped', async (t) => {
  const workDir = mkdtempSync(join(tmpdir(), 'sv-topo-fail-'));
  const spec = {
    runId: `fail${Date.now().toString(36).slice(-6)}`,
    workDir,
    kits: 2,
    clouds: 1 as const,
    gatewayArgs: ['--mqtt-max-connections', 'many'],
    cloudArgs: [],
    distinctSources: false,
  };
  let seen: number[] = [];
  const log = (line: string) => {
    // Once the cloud answers and the gateway is being started, the cloud process is there to see.
    if (line.startsWith('starting the gateway')) seen = processesIn(workDir);
  };
  await t.rejects(Topology.start(spec, stores, log), /gateway exited during start-up; see .*gateway\.log/);
  t.ok(seen.length >= 1, `the cloud process was running before (${seen.join(', ')})`);
  t.same(processesIn(workDir), [], 'no process of the run is left');
});
