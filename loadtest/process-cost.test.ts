import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { runCli } from '../cli/run.js';
import type { ConnectionSummary } from './run/summaries.js';

/**
 * `sousvide loadtest --gateway-nodes 2` end to end (all sinks on, real stores): the summary names
 * every gateway process (the main process and each broker node) and each other process of the run
 * with its peak RSS and its CPU per acknowledged message, and each group's total is the sum of its parts.
 */
t.test('a small run with two broker nodes reports what each process cost', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'sv-lt-procs-'));
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let json = '';
  let log = '';
  stdout.on('data', (c) => (json += c));
  stderr.on('data', (c) => (log += c));
  const args = ['loadtest', '--gateway-nodes', '2', '--connections', '40', '--partitions', '1', '--duration', '5', '--client', 'lean'];
  const code = await runCli(
    [...args, '--run-id', 'nodes', '--out-dir', out, '--results', join(out, 'results.md'), '--require-business-summary', '--json'],
    { stdout, stderr, env: {} },
    new AbortController().signal,
  );
  t.equal(code, 0, `the run passed (log: ${log.slice(-2000)})`);
  const dir = join(out, 'nodes', 'attempt-1');
  const c = JSON.parse(readFileSync(join(dir, 'connection-summary.json'), 'utf8')) as ConnectionSummary;
  t.equal(c.connected, 40, 'every kit connected');
  t.ok(c.acked_total > 0, `messages were acknowledged (${c.acked_total})`);
  const p = c.processes;
  if (!p) throw new Error('no processes in the summary');
  t.equal(p.acked_total, c.acked_total, 'per-message figures divide by the acknowledged messages');
  t.ok(p.window_ms >= 5000, `the window covers the load (${p.window_ms} ms)`);

  const gateway = p.groups.find((g) => g.group === 'gateway');
  if (!gateway) throw new Error('no gateway group');
  // Run from source, each gateway process also has tsx's esbuild helper under it (named <parent>/esbuild).
  const main = gateway.processes.filter((x) => !x.name.includes('/'));
  t.same(
    main.map((x) => x.name),
    ['gateway', 'gateway-node-0', 'gateway-node-1'],
    'the main gateway process and each broker node, named by its node index',
  );
  t.equal(new Set(gateway.processes.map((x) => x.pid)).size, gateway.processes.length, 'one entry per pid');
  for (const x of gateway.processes.filter((x) => x.name.includes('/')))
    t.match(x.name, /^gateway(-node-\d)?\/\S+$/, `${x.name}: a helper named by its parent and command`);
  for (const x of main) {
    t.ok(Number.isFinite(x.rss_max_mb) && x.rss_max_mb > 0, `${x.name}: RSS ${x.rss_max_mb} MB`);
    t.ok(Number.isFinite(x.cpu_ms) && x.cpu_ms > 0, `${x.name}: CPU ${x.cpu_ms} ms`);
    t.ok(x.cpu_us_per_msg > 0, `${x.name}: ${x.cpu_us_per_msg} µs/msg`);
  }
  for (const x of gateway.processes) {
    t.ok(Number.isFinite(x.rss_max_mb) && x.rss_max_mb > 0 && Number.isFinite(x.cpu_ms) && x.cpu_ms >= 0, `${x.name}: real numbers`);
    t.equal(x.cpu_us_per_msg, Math.round(((x.cpu_ms * 1000) / c.acked_total) * 100) / 100, `${x.name}: µs/msg = CPU / acked`);
  }
  for (const g of p.groups) {
    const sum = (k: 'rss_max_mb' | 'cpu_ms') => g.processes.reduce((a, x) => a + x[k], 0);
    t.equal(g.total.processes, g.processes.length, `${g.group}: process count`);
    t.equal(g.total.cpu_ms, sum('cpu_ms'), `${g.group}: total CPU = sum of its processes`);
    t.equal(g.total.rss_max_mb, Math.round(sum('rss_max_mb') * 10) / 10, `${g.group}: total RSS = sum of its processes`);
    t.ok(
      Math.abs(g.total.cpu_us_per_msg - g.processes.reduce((a, x) => a + x.cpu_us_per_msg, 0)) <= 0.005 * g.processes.length + 1e-9,
      `${g.group}: total µs/msg = sum of its processes (within rounding)`,
    );
  }
  t.same(
    p.groups.map((g) => g.group),
    ['gateway', 'cloud', 'influxd', 'redis-server', 'mariadbd'],
    'the cloud and each store server the run started',
  );
  for (const g of p.groups.slice(1)) t.ok(g.total.rss_max_mb > 0 && g.total.cpu_ms >= 0, `${g.group}: RSS ${g.total.rss_max_mb} MB`);

  const md = readFileSync(join(dir, 'summary.md'), 'utf8');
  for (const x of gateway.processes) t.match(md, `| ${x.name} | ${x.pid} | ${x.rss_max_mb} | ${x.cpu_ms} | ${x.cpu_us_per_msg} |`);
  t.match(
    md,
    `| **gateway total** (${gateway.processes.length}) | | ${gateway.total.rss_max_mb} | ${gateway.total.cpu_ms} | ${gateway.total.cpu_us_per_msg} |`,
  );
  t.ok(existsSync(join(dir, 'business-summary.json')), 'the business summary was written');
  t.same((JSON.parse(json) as { connection: ConnectionSummary }).connection.processes, p, '--json prints the same figures');
});
