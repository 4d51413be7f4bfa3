import type { Episode, Scenario } from '../scenario.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * 5. The gateway → cloud network black-holed (connections open, every byte dropped, nothing
 * refused: the relay learns only from its request timeout), then slow (every chunk delayed in
 * both directions). Bytes dropped by the black hole are gone for good (the proxy cannot
 * retransmit), so a request caught in it ends by the relay's timeout, as it would on a real link
 * where the retransmissions outlast that timeout.
 */
export const linkBlackholeSlow: Scenario = {
  n: 5,
  name: 'link-blackhole-slow',
  title: 'Gateway → cloud network black-holed (dropped, not refused), then slow',
  short: { kits: 6, warmupS: 3, faultS: 8, afterS: 3, fast: true, recoverTimeoutS: 90 },
  full: { kits: 50, warmupS: 15, faultS: 120, afterS: 15 },
  async run(ctx) {
    const { topo, params, log } = ctx;
    const episodes: Episode[] = [];
    log(`fault: link black-holed for ${params.faultS} s`);
    let injectedAt = Date.now();
    topo.link.set({ kind: 'blackhole' });
    await sleep(params.faultS * 1000);
    topo.link.set({ kind: 'pass' });
    let healedAt = Date.now();
    log('repaired: link passes again');
    episodes.push({ label: 'black hole', injectedAt, healedAt, recoveredAt: await ctx.waitRecovered(healedAt) });
    // The short run's delay must show clearly past the slow-link signal (the oldest record waiting
    // over 3 s): at 1000 ms a chunk each way the oldest record hovered at 2–4 s, and a busy CI
    // run once saw it stay under 3 s for the whole fault.
    const delayMs = params.fast ? 1500 : 2000;
    log(`fault: link delays every chunk by ${delayMs} ms each way for ${params.faultS} s`);
    injectedAt = Date.now();
    topo.link.set({ kind: 'delay', ms: delayMs });
    await sleep(params.faultS * 1000);
    topo.link.set({ kind: 'pass' });
    healedAt = Date.now();
    log('repaired: link at full speed again');
    episodes.push({ label: `slow (+${delayMs} ms per chunk)`, injectedAt, healedAt });
    return episodes;
  },
};
