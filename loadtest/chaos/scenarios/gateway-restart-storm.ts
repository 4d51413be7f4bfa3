import { metricSum, parseMetrics } from '../probe.js';
import type { Episode, Scenario } from '../scenario.js';

/**
 * 7. Gateway restart (SIGTERM, start again) with many kits connected: the reconnect storm. Every
 * kit reconnects with the protocol's backoff (1 s → 60 s, full jitter); the run measures the time
 * until all are back and checks that none is locked out (the gateway's per-address connection
 * rate limit, `mqtt.connRatePerAddr` 20/s with a burst of 100, and its auth ban after 5 failures).
 * Twice, with the default limits: first with every kit on its own address (127.x.y.z, as kits on
 * a LAN), then with all of them on 127.0.0.1 (one address: a NAT, or this load generator), where
 * the per-address rate limit paces the storm. A refused connection is not an authentication
 * failure, so the rate limit delays kits but never bans them.
 */
export const gatewayRestartStorm: Scenario = {
  n: 7,
  name: 'gateway-restart-storm',
  title: 'Gateway restart with thousands of kits connected (reconnect storm)',
  short: { kits: 150, rate: 0.2, warmupS: 3, faultS: 0, afterS: 3, fast: true, distinctSources: true, recoverTimeoutS: 120 },
  full: { kits: 3000, rate: 0.2, warmupS: 20, faultS: 0, afterS: 15, distinctSources: true, recoverTimeoutS: 900 },
  async run(ctx) {
    const { topo, fleet, params, log, checks, notes } = ctx;
    const episodes: Episode[] = [];
    for (const source of ['distinct addresses', 'one address (127.0.0.1)'] as const) {
      if (source !== 'distinct addresses') fleet.setSourceAddress(undefined);
      log(`restart with ${params.kits} kits connected, kits from ${source}`);
      const before = topo.gateway.child?.pid;
      const injectedAt = Date.now();
      await topo.gateway.stop();
      const stoppedAt = Date.now();
      checks.push({
        name: `the gateway stopped on SIGTERM by itself with ${params.kits} kits connected (${source})`,
        ok: topo.gateway.lastStop === 'exited' && topo.gateway.child?.exitCode === 0,
        detail: `${topo.gateway.lastStop}, exit code ${topo.gateway.child?.exitCode}`,
      });
      await topo.gateway.start();
      const healedAt = Date.now();
      const recoveredAt = await ctx.waitRecovered(healedAt);
      const text = (await topo.gatewayMetrics()) ?? '';
      const m = parseMetrics(text);
      const refused = [...m]
        .filter(([k, v]) => k.startsWith('conn_refused_total') && v > 0)
        .map(([k, v]) => `${k.replace('conn_refused_total', '')} ${v}`);
      const authFailed = metricSum(m, 'auth_failed_total');
      const banned = metricSum(m, 'auth_failed_total', 'banned');
      log(`  all ${fleet.connected}/${params.kits} back ${((recoveredAt - injectedAt) / 1000).toFixed(1)} s after the restart began`);
      notes.push(
        `${source}: gateway down ${((healedAt - injectedAt) / 1000).toFixed(1)} s (stop ${((stoppedAt - injectedAt) / 1000).toFixed(1)} s, start ${((healedAt - stoppedAt) / 1000).toFixed(1)} s; pid ${before} → ${topo.gateway.child?.pid}), every kit back ${((recoveredAt - healedAt) / 1000).toFixed(1)} s after it answered again; connections refused: ${refused.join(', ') || 'none'}; auth failures ${authFailed} (banned ${banned})`,
      );
      checks.push({
        name: `no kit locked out (${source})`,
        ok: Number.isFinite(recoveredAt) && fleet.connected === params.kits && banned === 0,
      });
      episodes.push({ label: source, injectedAt, healedAt, recoveredAt });
      if (Number.isNaN(recoveredAt)) break;
    }
    return episodes;
  },
};
