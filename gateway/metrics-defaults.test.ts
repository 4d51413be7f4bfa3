import { readdirSync } from 'node:fs';
import { Registry } from 'prom-client';
import t from 'tap';
import { openFds, registerDefaultMetrics } from './metrics-defaults.js';

t.test("Node's default metrics without the per-handle scans; open fds still counted", async (t) => {
  const r = new Registry();
  registerDefaultMetrics(r);
  const text = await r.metrics();
  t.notMatch(text, /^nodejs_active_handles/m, 'no active handle list');
  t.notMatch(text, /^nodejs_active_resources/m, 'no active resource list');
  t.match(text, /^nodejs_heap_size_used_bytes \d/m, 'the other defaults stay');
  t.match(text, /^process_resident_memory_bytes \d/m);
  const fds = Number(/^process_open_fds (\d+)$/m.exec(text)?.[1]);
  const listed = readdirSync('/proc/self/fd').length - 1;
  t.ok(Math.abs(fds - listed) <= 2, `process_open_fds ${fds} ≈ the directory's ${listed}`);
  t.ok(Math.abs(openFds() - listed) <= 2, 'openFds() counts the same');
});
