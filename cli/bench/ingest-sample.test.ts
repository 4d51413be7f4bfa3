import { spawn } from 'node:child_process';
import t from 'tap';
import { processCpuMs, processTreeCpuMs } from '../../loadtest/proc-cpu.js';
import { parseSample } from './ingest.js';

t.test('a gateway with broker nodes: loop lag is the worst process, RSS the sum of all', async (t) => {
  const metrics = [
    'event_loop_lag_seconds{quantile="0.99"} 0.004',
    'process_resident_memory_bytes 104857600',
    'broker_node_event_loop_lag_seconds{node="0",quantile="0.99"} 0.031',
    'broker_node_event_loop_lag_seconds{node="0",quantile="1"} 0.2',
    'broker_node_event_loop_lag_seconds{node="1",quantile="0.99"} 0.012',
    'broker_node_resident_memory_bytes{node="0"} 52428800',
    'broker_node_resident_memory_bytes{node="1"} 52428800',
  ].join('\n');
  t.same(parseSample(metrics), { lag: 31, rss: 200 });
  t.same(parseSample('event_loop_lag_seconds{quantile="0.99"} 0.002\nprocess_resident_memory_bytes 1048576'), { lag: 2, rss: 1 });
  t.same(parseSample(''), { lag: null, rss: null }, 'nothing to read is no figure, not zero');
  const heap = ['nodejs_heap_size_used_bytes 52428800', 'nodejs_heap_size_total_bytes 104857600', 'nodejs_external_memory_bytes 1048576'];
  t.same(parseSample(heap.join('\n')).heap, { usedMb: 50, totalMb: 100, externalMb: 1 }, "the gateway process's V8 heap, in MiB");
});

t.test("a process tree's CPU includes its busy child", async (t) => {
  // A parent that only waits, and a child of it that spins until it has used 400 ms of CPU
  // (measured by itself, so a busy machine only makes it take longer), then says so and idles.
  const spin = "while (process.cpuUsage().user < 400000); process.stdout.write('spun'); setTimeout(() => {}, 30000)";
  const script = `const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(spin)}], { stdio: 'inherit' });
    process.on('SIGTERM', () => { c.kill(); process.exit(0); });`;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => parent.kill('SIGTERM'));
  await new Promise((r) => parent.stdout.once('data', r));
  const own = processCpuMs(parent.pid) ?? Number.NaN;
  const tree = processTreeCpuMs(parent.pid) ?? Number.NaN;
  t.ok(tree - own >= 300, `the child's 400 ms are counted (tree ${tree} ms, parent alone ${own} ms)`);
  t.equal(processTreeCpuMs(2 ** 22 + 7), null, 'a process that does not exist has no figure');
});
