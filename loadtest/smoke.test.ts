import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runLoadtest } from './run/run-loadtest.js';
import type { BusinessSummary, ConnectionSummary } from './run/summaries.js';

t.test('smoke run: 200 kits for 10 s write the seed-plan artifacts, and the split formulas hold on their numbers', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'sv-lt-smoke-'));
  const r = await runLoadtest({
    connections: 200,
    partitions: 2,
    connectParallelism: 50,
    mps: 1,
    durationS: 10,
    qos: 1,
    client: 'lean',
    maxInFlight: 0,
    runId: 'smoke',
    maxAttempts: 1,
    partTimeoutS: 180,
    requireBusinessSummary: true,
    outDir: out,
    resultsFile: join(out, 'load-test-results.md'),
    command: 'sousvide loadtest --connections 200 --duration 10',
    log: () => {},
  });
  const dir = join(out, 'smoke', 'attempt-1');
  t.equal(r.dir, dir);
  for (const f of ['connection-summary.json', 'business-summary.json', 'part-0.log', 'part-1.log', 'gateway.log'])
    t.ok(existsSync(join(dir, f)), `${f} exists`);
  const c = JSON.parse(readFileSync(join(dir, 'connection-summary.json'), 'utf8')) as ConnectionSummary;
  const b = JSON.parse(readFileSync(join(dir, 'business-summary.json'), 'utf8')) as BusinessSummary;
  t.equal(c.connected, 200, 'every kit connected');
  t.ok(c.published_total >= 200 * 8, `about 10 s × 200 kits published (${c.published_total})`);
  t.equal(
    c.connection_success_rate,
    Math.round((c.acked_total / (c.acked_total + c.failed_total)) * 1e6) / 1e6,
    'connection success = published / (published + failed)',
  );
  t.ok(b.recv_total >= c.acked_total, 'the gateway received at least what the kits saw acknowledged');
  const pipeline = Math.min(b.parse_ok_total, b.store_ok_total);
  t.equal(b.pipeline_success_total, pipeline, 'pipeline success = min(parse_ok, durable sink ok)');
  t.equal(b.business_pipeline_success_rate, Math.round((pipeline / b.recv_total) * 1e6) / 1e6, 'business success = pipeline / recv');
  t.equal(b.business_core_pipeline_success_rate, Math.round((b.core_pipeline_success_total / b.recv_total) * 1e6) / 1e6);
  t.equal(b.parse_fail_total, 0, 'no parse failures');
  const parts = readFileSync(join(dir, 'part-0.log'), 'utf8').trim().split('\n');
  t.ok(
    parts.some((l) => JSON.parse(l).type === 'final'),
    'each part log ends with its final counters',
  );
  t.match(
    readFileSync(join(out, 'load-test-results.md'), 'utf8'),
    /\| smoke \| 1 \| `sousvide loadtest --connections 200 --duration 10` \| 200 \| 200 \|/,
    'a row was appended to the results table',
  );
});
