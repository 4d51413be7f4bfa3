import type { Scenario } from '../scenario.js';

/** 1. Redis unavailable during ingestion: the cloud answers 503, the gateway buffers, then drains. */
export const redisDown: Scenario = {
  n: 1,
  name: 'redis-down',
  title: 'Redis unavailable during ingestion',
  short: { kits: 6, warmupS: 3, faultS: 5, afterS: 3, fast: true, recoverTimeoutS: 90 },
  full: { kits: 50, warmupS: 15, faultS: 60, afterS: 15 },
  async run({ topo, params, log }) {
    log(`fault: redis-server stopped for ${params.faultS} s`);
    const injectedAt = Date.now();
    await topo.stores.redis.stop();
    await new Promise((r) => setTimeout(r, params.faultS * 1000));
    await topo.stores.redis.start();
    const healedAt = Date.now();
    log('repaired: redis-server started again');
    return [{ label: 'Redis down', injectedAt, healedAt }];
  },
};
