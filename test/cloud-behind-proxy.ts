import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { credentials, type RunningCloud, startCloud, startServers, testConfig } from '../cloud/testing/servers.js';
import { STORE_FILE } from '../gateway/store/open.js';
import { FaultProxy } from './harness/index.js';

/**
 * Test support for the relay: a real cloud (in this process) on private Redis, MariaDB and
 * InfluxDB, a gateway token, and a fault proxy in front of the cloud so a test can cut the link.
 * Test code only: the gateway's runtime never imports the cloud (docs/design.md).
 */
export async function cloudBehindProxy(t: { teardown(fn: () => unknown): void }, ns: string, overrides: Record<string, unknown> = {}) {
  const servers = await startServers(t);
  const cloud: RunningCloud = await startCloud(t, testConfig(t, servers, ns, overrides));
  const creds = await credentials(cloud);
  const port = Number(new URL(cloud.base).port);
  const proxy = new FaultProxy('127.0.0.1', port);
  await proxy.listen();
  t.teardown(() => proxy.close());
  return { servers, cloud, creds, proxy, url: `http://127.0.0.1:${proxy.port}`, stores: cloud.cloud.stores };
}

/** Rows left in a gateway's outbox (a fresh read-only connection each time). */
export function outboxRows(dataDir: string, kind?: string): number {
  const db = new Sqlite(join(dataDir, STORE_FILE), { readonly: true });
  try {
    const sql = `SELECT count(*) AS n FROM outbox${kind ? ' WHERE kind = ?' : ''}`;
    return (db.prepare(sql).get(...(kind ? [kind] : [])) as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Relay settings that make tests quick: short linger, short backoff, frequent stats. */
export const FAST_RELAY = {
  'relay.lingerMs': 50,
  'relay.backoffBaseMs': 50,
  'relay.backoffMaxMs': 500,
  'relay.statsIntervalMs': 200,
  'relay.idleSyncMs': 300,
  'relay.requestTimeoutMs': 10_000,
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
