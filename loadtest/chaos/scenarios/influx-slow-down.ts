import type { Episode, Scenario } from '../scenario.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * 2. InfluxDB write latency spike, then InfluxDB down. The spike is the harness proxy adding
 * `delayMs` to every chunk in both directions (writes answered after seconds, past the cloud's
 * sink timeout); then influxd is stopped. Each phase lasts `faultS` and is repaired before the next.
 */
export const influxSlowDown: Scenario = {
  n: 2,
  name: 'influx-slow-down',
  title: 'InfluxDB write latency spike (seconds), then InfluxDB down',
  short: { kits: 6, warmupS: 3, faultS: 5, afterS: 3, fast: true, recoverTimeoutS: 90 },
  full: { kits: 50, warmupS: 15, faultS: 60, afterS: 15 },
  async run(ctx) {
    const { topo, params, log } = ctx;
    const influx = topo.stores.influx;
    const episodes: Episode[] = [];
    const delayMs = params.fast ? 2000 : 4000;
    log(`fault: InfluxDB answers ${delayMs} ms late (per chunk, each way) for ${params.faultS} s`);
    let injectedAt = Date.now();
    influx.slow(delayMs);
    await sleep(params.faultS * 1000);
    influx.heal();
    // Connections opened during the spike keep their queued chunks: drop them so the repair is clean.
    influx.proxy.resetConnections();
    let healedAt = Date.now();
    episodes.push({ label: `latency +${delayMs / 1000} s`, injectedAt, healedAt, recoveredAt: await ctx.waitRecovered(healedAt) });
    log('fault: influxd stopped');
    injectedAt = Date.now();
    await influx.stop();
    await sleep(params.faultS * 1000);
    await influx.start();
    healedAt = Date.now();
    log('repaired: influxd started again');
    episodes.push({ label: 'down', injectedAt, healedAt });
    return episodes;
  },
};
