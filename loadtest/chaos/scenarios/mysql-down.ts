import type { Scenario } from '../scenario.js';

/** 3. MySQL (MariaDB) down during ingestion: events, audit, device rows cannot commit; the cloud answers 503. */
export const mysqlDown: Scenario = {
  n: 3,
  name: 'mysql-down',
  title: 'MySQL (MariaDB) down during ingestion',
  short: { kits: 6, warmupS: 3, faultS: 5, afterS: 3, fast: true, recoverTimeoutS: 90 },
  full: { kits: 50, warmupS: 15, faultS: 60, afterS: 15 },
  async run({ topo, params, log }) {
    log(`fault: mariadbd stopped for ${params.faultS} s`);
    const injectedAt = Date.now();
    await topo.stores.mysql.stop();
    await new Promise((r) => setTimeout(r, params.faultS * 1000));
    await topo.stores.mysql.start();
    const healedAt = Date.now();
    log('repaired: mariadbd started again');
    return [{ label: 'MySQL down', injectedAt, healedAt }];
  },
};
