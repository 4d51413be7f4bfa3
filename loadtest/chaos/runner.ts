import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lossAudit } from './audit.js';
import { KitFleet } from './kits.js';
import { metricSum, Probe, recovered } from './probe.js';
import {
  type ChaosParams,
  type ChaosResult,
  type Check,
  DEFAULT_PARAMS,
  type EpisodeResult,
  type RunContext,
  type Scenario,
} from './scenario.js';
import { closeStoreServers, type Stores, startStores, Topology } from './topology.js';

export interface RunOptions {
  mode: 'short' | 'full';
  /** Overrides of the mode's parameters (CLI flags); a run with any is marked reduced unless it is a full run unchanged. */
  overrides?: Partial<ChaosParams>;
  /** Stores shared with other runs (a test file runs several scenarios on one set). */
  stores?: Stores;
  log?: (line: string) => void;
  keepWorkDir?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Settings that make the CI versions quick: short backoffs, short linger, short Retry-After. */
const FAST_GATEWAY = [
  ...['--relay-linger-ms', '50', '--relay-backoff-base-ms', '50', '--relay-backoff-max-ms', '500'],
  ...['--relay-idle-sync-ms', '300', '--relay-request-timeout-ms', '5000'],
];
const FAST_CLOUD = ['--ingest-retry-after-s', '1', '--ingest-sink-timeout-ms', '1500', '--influx-timeout-ms', '1500'];

export function paramsFor(scenario: Scenario, o: Pick<RunOptions, 'mode' | 'overrides'>): ChaosParams {
  return { ...DEFAULT_PARAMS, ...(o.mode === 'short' ? scenario.short : scenario.full), ...o.overrides };
}

/**
 * One chaos run: topology → steady load → fault(s) → recovery → drain → loss audit.
 * Detection and recovery are read from the real endpoints (gateway /metrics, cloud /readyz and
 * /metrics) and the kits' own view (connected, buffered), sampled every 250 ms.
 */
export async function runScenario(scenario: Scenario, o: RunOptions): Promise<ChaosResult> {
  const log = o.log ?? (() => {});
  const params = paramsFor(scenario, o);
  const needs = scenario.needs?.(params) ?? {};
  const started = Date.now();
  const load = { start: loadavg()[0] as number, end: 0, max: loadavg()[0] as number };
  const loadTimer = setInterval(() => {
    load.max = Math.max(load.max, loadavg()[0] as number);
  }, 5000);
  if (!o.stores) log('starting InfluxDB, Redis and MariaDB …');
  const stores = o.stores ?? (await startStores());
  const workDir = mkdtempSync(join(tmpdir(), `sv-chaos-${scenario.name}-`));
  const runId = `${scenario.name.slice(0, 12)}${Date.now().toString(36).slice(-6)}`;
  let topo: Topology | undefined;
  let fleet: KitFleet | undefined;
  let probe: Probe | undefined;
  try {
    topo = await Topology.start(
      {
        runId,
        workDir,
        kits: params.kits,
        clouds: needs.clouds ?? 1,
        gatewayArgs: ['--relay-stats-interval-ms', '500', ...(params.fast ? FAST_GATEWAY : []), ...(needs.gatewayArgs ?? [])],
        cloudArgs: [...(params.fast ? FAST_CLOUD : []), ...(needs.cloudArgs ?? [])],
        distinctSources: params.distinctSources,
      },
      stores,
      log,
    );
    const t = topo;
    fleet = new KitFleet({
      host: '127.0.0.1',
      port: t.mqttPort,
      ca: t.ca,
      kits: t.kits.map((k, i) => (needs.kit ? needs.kit({ ...k }, i) : { ...k })),
      ratePerKit: params.rate,
      ...(params.fast ? { backoffBaseMs: 200, backoffMaxMs: 2000 } : {}),
    });
    log(`connecting ${params.kits} kits …`);
    await fleet.start();
    const f = fleet;
    await waitUntil(() => f.connected === params.kits, params.recoverTimeoutS * 1000, 'every kit connected');
    probe = new Probe(t, f);
    probe.start();
    const p = probe;
    log(`steady load (${params.kits} kits × ${params.rate} msg/s), warm-up ${params.warmupS} s …`);
    await sleep(params.warmupS * 1000);
    const checks: Check[] = [];
    const notes: string[] = [];
    const ctx: RunContext = {
      topo: t,
      fleet: f,
      probe: p,
      params,
      log,
      checks,
      notes,
      async waitRecovered(healedAt) {
        const deadline = Date.now() + params.recoverTimeoutS * 1000;
        for (;;) {
          const s = p.last;
          if (s && s.t > healedAt && recovered(s, params.kits)) return s.t;
          if (Date.now() > deadline) return Number.NaN;
          await sleep(100);
        }
      },
    };
    const episodes = await scenario.run(ctx);
    const results: EpisodeResult[] = [];
    for (const [i, e] of episodes.entries()) {
      const recoveredAt = e.recoveredAt ?? (await ctx.waitRecovered(e.healedAt));
      // Signals after this fault and before the next one.
      const signals = p.signals(e.injectedAt, episodes[i + 1]?.injectedAt);
      const detectedAt = e.detectedAt ?? signals[0]?.firstAt ?? Number.NaN;
      results.push({
        label: e.label,
        detectS: (detectedAt - e.injectedAt) / 1000,
        mttrS: (recoveredAt - e.healedAt) / 1000,
        signals: signals.map((s) => `${s.name} (+${((s.firstAt - e.injectedAt) / 1000).toFixed(1)} s)`),
      });
      log(
        `  ${e.label}: detected after ${((detectedAt - e.injectedAt) / 1000).toFixed(1)} s, recovered ${((recoveredAt - e.healedAt) / 1000).toFixed(1)} s after the repair`,
      );
    }
    const first = episodes[0];
    const last = episodes[episodes.length - 1];
    const backlogPeak = first && last ? p.max('backlog', first.injectedAt, (last.faultEndedAt ?? last.healedAt) + 60_000) : 0;
    const ackedDuring = episodes.reduce((n, e) => n + p.ackedBetween(e.injectedAt, e.faultEndedAt ?? e.healedAt), 0);
    const faultS = episodes.reduce((n, e) => n + ((e.faultEndedAt ?? e.healedAt) - e.injectedAt) / 1000, 0);

    log(`load after recovery for ${params.afterS} s, then the kits flush and stop …`);
    await sleep(params.afterS * 1000);
    await f.stop(params.recoverTimeoutS * 1000);
    log('waiting for the gateway outbox to drain …');
    let zeros = 0;
    await waitUntil(
      () => {
        const s = p.last;
        zeros = s?.gatewayUp && s.link === 'up' && s.backlog === 0 ? zeros + 1 : 0;
        return zeros >= 3;
      },
      params.recoverTimeoutS * 1000,
      'the outbox drained',
    ).catch((err: Error) => checks.push({ name: 'outbox drained after the run', ok: false, detail: err.message }));
    p.stop();
    const final = await p.sample();
    await scenario.verify?.(ctx);
    const evictions = metricSum(p.gatewayMetrics, 'relay_dropped_records', 'quota:telemetry');
    log('loss audit against InfluxDB …');
    const audit = await lossAudit({
      influxUrl: stores.influx.directUrl,
      db: t.influxDb,
      acked: f.acked(),
      evictions,
      gatewayDataDir: t.dataDir,
    });
    const allRecovered = results.every((r) => Number.isFinite(r.mttrS));
    checks.unshift(
      ...(scenario.silent ? [] : [{ name: 'every fault detected', ok: results.every((r) => Number.isFinite(r.detectS)) }]),
      { name: 'recovered after every fault', ok: allRecovered },
      { name: 'zero unexplained loss', ok: audit.unexplained === 0, detail: audit.examples.join(', ') },
      { name: 'zero duplicates', ok: audit.duplicates === 0 },
      { name: 'kits acknowledged records', ok: audit.acked > 0 },
    );
    const signalNames = [...new Set(results.flatMap((r) => r.signals.map((s) => s.replace(/ \(\+.*$/, ''))))];
    const signature = [...signalNames, `backlog peak ${backlogPeak} records`].join('; ');
    const behaviour = [
      ackedDuring > 0
        ? `degrade: kits kept their PUBACKs (${ackedDuring} in ${faultS.toFixed(0)} s of fault)`
        : `degrade: no PUBACKs during the fault (${faultS.toFixed(0)} s); kits buffered and resent`,
      allRecovered ? 'recover: yes' : 'recover: NO (timed out)',
    ].join('; ');
    load.end = loadavg()[0] as number;
    notes.push(`final sample: link ${final.link ?? '–'}, backlog ${final.backlog}, kits connected ${final.kitsConnected}/${params.kits}`);
    const reduced = o.mode !== 'full' || Object.keys(o.overrides ?? {}).length > 0;
    return {
      scenario,
      params,
      reduced,
      mode: o.overrides && Object.keys(o.overrides).length > 0 ? 'custom' : o.mode,
      date: new Date(started).toISOString(),
      durationS: (Date.now() - started) / 1000,
      episodes: results,
      signature,
      behaviour,
      audit,
      checks,
      notes,
      load,
      fleet: { ...f.totals },
      ok: checks.every((c) => c.ok),
    };
  } finally {
    clearInterval(loadTimer);
    probe?.stop();
    await fleet?.stop(0);
    await topo?.close();
    if (!o.stores) await closeStoreServers(stores);
    if (!o.keepWorkDir) rmSync(workDir, { recursive: true, force: true });
    else log(`work dir kept: ${workDir}`);
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}
