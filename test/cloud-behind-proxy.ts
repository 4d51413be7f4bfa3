import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { credentials, type RunningCloud, startCloud, startServers, testConfig } from '../cloud/testing/servers.js';
import type { RelayOptions } from '../gateway/relay/options.js';
import { STORE_FILE } from '../gateway/store/open.js';
import { StoreWriter } from '../gateway/store/writer.js';
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

/**
 * A relay's surroundings for a test: the cloud behind its proxy, a gateway store in a temp dir,
 * and relay options for quick tests (short linger and back-off), `relay` overriding them.
 */
export async function relayOnProxy(
  t: { teardown(fn: () => unknown): void },
  ns: string,
  relay: Partial<RelayOptions> = {},
  cloudOverrides: Record<string, unknown> = {},
) {
  const env = await cloudBehindProxy(t, ns, cloudOverrides);
  const dataDir = mkdtempSync(join(tmpdir(), `sv-relay-${ns}-`));
  const store = new StoreWriter(dataDir);
  await store.open();
  t.teardown(() => store.close());
  const opts: RelayOptions = {
    url: env.url,
    token: env.creds.gateway.token,
    batchMaxRecords: 1000,
    batchMinRecords: 1,
    batchMaxBytes: 1 << 20,
    lingerMs: 20,
    idleSyncMs: 500,
    requestTimeoutMs: 10_000,
    targetLatencyMs: 2000,
    backoffBaseMs: 50,
    backoffMaxMs: 300,
    quotaBytes: 1 << 30,
    statsIntervalMs: 200,
    dropReportMs: 60_000,
    ...relay,
  };
  return { env, dataDir, store, opts };
}
