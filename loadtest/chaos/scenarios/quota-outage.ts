import mysql from 'mysql2/promise';
import { metricSum } from '../probe.js';
import type { Scenario } from '../scenario.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * 8. The gateway's outbox quota (`relay.quotaBytes`) is reached during a cloud outage: the relay
 * evicts the oldest bulk telemetry, counts every drop by reason and reports the counts to the
 * cloud as a `relay_drop` event when the link returns. The audit accepts a missing record only
 * as such an eviction (committed at the gateway, gone from its outbox, counted).
 */
export const quotaOutage: Scenario = {
  n: 8,
  name: 'quota-outage',
  title: 'Gateway outbox disk quota reached during an outage',
  short: { kits: 20, rate: 2, warmupS: 3, faultS: 12, afterS: 3, quotaBytes: 65_536, fast: true, recoverTimeoutS: 90 },
  full: { kits: 50, warmupS: 15, faultS: 120, afterS: 15, quotaBytes: 512 * 1024 },
  needs: (p) => ({ gatewayArgs: ['--relay-quota-bytes', String(p.quotaBytes), '--relay-drop-report-ms', '600000'] }),
  async run({ topo, probe, params, log, checks }) {
    log(`fault: cloud unreachable for ${params.faultS} s with an outbox quota of ${params.quotaBytes} bytes`);
    const injectedAt = Date.now();
    topo.link.set({ kind: 'refuse' });
    await sleep(params.faultS * 1000);
    const dropped = probe.last?.quotaDrops ?? 0;
    checks.push({ name: 'the quota was reached and telemetry evicted during the outage', ok: dropped > 0, detail: `${dropped} records` });
    topo.link.set({ kind: 'pass' });
    const healedAt = Date.now();
    log(`repaired: link passes again (${dropped} records evicted so far)`);
    return [{ label: 'outage over quota', injectedAt, healedAt }];
  },
  async verify({ topo, probe, checks, notes }) {
    // The drop counts travel to the cloud as relay_drop events (priority 0, never evicted).
    const evicted = metricSum(probe.gatewayMetrics, 'relay_dropped_records', 'quota:telemetry');
    const db = await mysql.createConnection(topo.stores.mysql.directUrl);
    try {
      const [rows] = await db.query("SELECT data FROM events WHERE gateway_id = ? AND type = 'relay_drop'", [topo.gatewayId]);
      let reported = 0;
      for (const r of rows as { data: string }[])
        reported += Number((JSON.parse(r.data) as { dropped?: Record<string, number> }).dropped?.['quota:telemetry'] ?? 0);
      checks.push({
        name: 'every eviction reported to the cloud (relay_drop events in MySQL)',
        ok: reported === evicted,
        detail: `${reported} reported, ${evicted} counted`,
      });
      notes.push(`relay_drop events in MySQL: ${(rows as unknown[]).length}, quota:telemetry ${reported}`);
    } finally {
      await db.end();
    }
  },
};
