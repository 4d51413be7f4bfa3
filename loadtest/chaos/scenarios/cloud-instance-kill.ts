import type { Scenario } from '../scenario.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * 9. Two cloud instances behind a round-robin balancer serve the gateway; the one carrying the
 * relay's connection is killed (-9) under load. The relay takes one URL (`cloud.url`: the
 * balancer, as in production behind any load balancer); its failed request goes again on a new
 * connection, which the balancer hands to the live instance. The repair is automatic, so MTTR
 * runs from the kill to the first batch the cloud acknowledged after it (the relay's
 * `lastSuccessTs`, GET /v1/relay). The dead instance is restarted after `faultS` and must take
 * connections again.
 */
export const cloudInstanceKill: Scenario = {
  n: 9,
  name: 'cloud-instance-kill',
  title: 'One of two cloud instances killed (-9) under load',
  short: { kits: 6, warmupS: 3, faultS: 5, afterS: 3, fast: true, recoverTimeoutS: 90 },
  full: { kits: 50, warmupS: 15, faultS: 60, afterS: 15 },
  needs: () => ({ clouds: 2 }),
  async run({ topo, params, log, checks, notes }) {
    const lb = topo.balancer;
    if (!lb) throw new Error('cloud-instance-kill needs two clouds behind the balancer');
    const index = Math.max(
      0,
      lb.active.findIndex((n) => n > 0),
    );
    const victim = topo.clouds[index];
    if (!victim) throw new Error('no cloud to kill');
    log(`fault: ${victim.name} (carrying the relay's connection) killed with SIGKILL`);
    const injectedAt = Date.now();
    await victim.kill();
    let failoverAt = Number.NaN;
    const deadline = Date.now() + params.recoverTimeoutS * 1000;
    while (Number.isNaN(failoverAt) && Date.now() < deadline) {
      const s = await topo.relayStatus();
      if (s?.lastSuccessTs && s.lastSuccessTs > injectedAt) failoverAt = s.lastSuccessTs;
      else await sleep(50);
    }
    notes.push(
      `failover: first batch acknowledged ${((failoverAt - injectedAt) / 1000).toFixed(2)} s after the kill (GET /v1/relay lastSuccessTs)`,
    );
    checks.push({ name: 'the relay failed over to the live instance', ok: Number.isFinite(failoverAt) });
    await sleep(Math.max(0, injectedAt + params.faultS * 1000 - Date.now()));
    const servedBefore = lb.served[index] ?? 0;
    await victim.start();
    const restartedAt = Date.now();
    log(`repaired: ${victim.name} started again`);
    // The relay keeps one keep-alive connection: reset it until the balancer hands one to the restarted instance.
    const until = Date.now() + 30_000;
    while ((lb.served[index] ?? 0) === servedBefore && Date.now() < until) {
      topo.link.resetConnections();
      await sleep(1000);
    }
    checks.push({ name: 'the restarted instance takes connections again', ok: (lb.served[index] ?? 0) > servedBefore });
    notes.push(
      `${victim.name} restarted ${((restartedAt - injectedAt) / 1000).toFixed(0)} s after the kill; balancer connections: ${lb.served.join(' / ')}`,
    );
    return [{ label: `${victim.name} killed`, injectedAt, healedAt: injectedAt, recoveredAt: failoverAt, faultEndedAt: restartedAt }];
  },
};
