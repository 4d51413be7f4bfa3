import type { Episode, Scenario } from '../scenario.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * 6. kill -9 of the gateway at random moments under load, `kills` times. Each time the process is
 * restarted at once (as systemd's Restart=always would); the kits reconnect with their backoff
 * and resend what was not acknowledged. Each kill is one episode: detected when the probe or the
 * kits notice, recovered when every kit is back with its buffer drained and the outbox fresh.
 */
export const gatewayKill: Scenario = {
  n: 6,
  name: 'gateway-kill',
  title: 'Gateway kill -9 at random moments under load, repeated',
  short: { kits: 8, warmupS: 3, kills: 3, faultS: 2, afterS: 3, fast: true, recoverTimeoutS: 90 },
  full: { kits: 100, warmupS: 15, kills: 20, faultS: 10, afterS: 15 },
  async run(ctx) {
    const { topo, params, log } = ctx;
    const episodes: Episode[] = [];
    for (let i = 0; i < params.kills; i++) {
      // A random moment: between 0.5 and `faultS` × 1.5 seconds after the last recovery.
      await sleep(500 + Math.random() * params.faultS * 1000);
      const injectedAt = Date.now();
      await topo.gateway.kill();
      const healedAt = Date.now();
      await topo.gateway.start();
      const answeringAt = Date.now();
      const recoveredAt = await ctx.waitRecovered(healedAt);
      log(`  kill ${i + 1}/${params.kills}: back after ${((recoveredAt - healedAt) / 1000).toFixed(1)} s`);
      // MTTR runs from the restart (issued at once, like systemd's Restart=always) and includes the process start.
      episodes.push({ label: 'kill -9', injectedAt, healedAt, recoveredAt, faultEndedAt: answeringAt });
      if (Number.isNaN(recoveredAt)) break;
    }
    return episodes;
  },
};
