import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runLoadtest } from './run/run-loadtest.js';
import type { BusinessSummary, ConnectionSummary } from './run/summaries.js';

t.test('smoke run (all sinks): 200 kits for 10 s write the design artifacts, and the split formulas hold on their numbers', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'sv-lt-smoke-'));
  const r = await runLoadtest({
    connections: 200,
    partitions: 2,
    connectParallelism: 50,
    mps: 1,
    durationS: 10,
    qos: 1,
    client: 'lean',
    sinks: 'full',
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
  for (const f of [
    'connection-summary.json',
    'business-summary.json',
    'part-0.log',
    'part-1.log',
    'gateway.log',
    'cloud-0.log',
    'timeline.json',
    'chart.svg',
  ])
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
  t.equal(b.mode, 'full', 'all sinks on');
  t.ok(b.influx_ok_total >= c.acked_total, `every acknowledged reading reached InfluxDB (${b.influx_ok_total} ≥ ${c.acked_total})`);
  t.ok(b.redis_ok_total >= c.acked_total, 'and Redis');
  t.equal(b.influx_fail_total + b.redis_fail_total, 0, 'no sink failure');
  const pipeline = Math.min(b.parse_ok_total, b.influx_ok_total, b.redis_ok_total);
  t.equal(b.pipeline_success_total, pipeline, 'pipeline success = min(parse_ok, influx_ok, redis_ok)');
  t.equal(b.core_pipeline_success_total, Math.min(b.parse_ok_total, b.redis_ok_total), 'core = min(parse_ok, redis_ok)');
  t.ok((c.publish_to_visible_ms?.n ?? 0) > 0, `publish → visible was sampled through the cloud API (${c.publish_to_visible_ms?.n})`);
  t.ok((c.publish_to_visible_ms?.p50 ?? 0) > 0, 'with a positive latency');
  t.not(c.relay_drain_after_load_ms, null, 'the outbox drained after the load');
  t.ok((c.gateway?.rss_max_mb ?? 0) > 0, 'the gateway RSS was sampled');
  const timeline = JSON.parse(readFileSync(join(dir, 'timeline.json'), 'utf8')) as { ackedPerS: number }[];
  t.ok(timeline.length >= 1 && timeline.some((p) => p.ackedPerS > 0), 'the timeline holds the throughput over time');
  t.match(
    readFileSync(join(dir, 'chart.svg'), 'utf8'),
    /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<path d="M/,
    'the chart has data',
  );
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
    /\| smoke \| 1 \| `sousvide loadtest --connections 200 --duration 10` \| full \| 200 \| 200 \|/,
    'a row was appended to the results table',
  );
});
