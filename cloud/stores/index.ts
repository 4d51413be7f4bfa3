import { join } from 'node:path';
import type { CloudConfig } from '../config.js';
import { InfluxTelemetryStore } from './influx/influx-store.js';
import { MySqlDriver } from './mysql/mysql-driver.js';
import { RedisStateStore } from './redis/redis-store.js';
import { SqlMetaStore } from './sql/meta-store.js';
import { SqliteDriver } from './sqlite/sqlite-driver.js';
import { SqliteStateStore } from './sqlite/sqlite-state.js';
import { SqliteTelemetryStore } from './sqlite/sqlite-telemetry.js';
import type { Stores } from './types.js';

/**
 * Picks each role's engine: the production server when its URL is configured, else the embedded
 * SQLite file `<dataDir>/cloud.db` (the default with no URLs: the demo and a one-household
 * install need no servers). Nothing connects until `openStores`.
 */
export function createStores(config: CloudConfig): Stores & { embedded?: SqliteDriver } {
  let sqlite: SqliteDriver | undefined;
  const embedded = () => {
    sqlite ??= new SqliteDriver(join(config.dataDir, 'cloud.db'));
    return sqlite;
  };
  const telemetry = config.influx.url
    ? new InfluxTelemetryStore({
        url: config.influx.url,
        db: config.influx.db,
        token: config.influx.token,
        timeoutMs: config.influx.timeoutMs,
        createDb: config.influx.createDb,
      })
    : new SqliteTelemetryStore(embedded());
  const state = config.redis.url
    ? new RedisStateStore({
        url: config.redis.url,
        commandTimeoutMs: config.redis.commandTimeoutMs,
        keyPrefix: config.redis.keyPrefix,
        heartbeatTtlS: config.ingest.heartbeatTtlS,
      })
    : new SqliteStateStore(embedded(), config.ingest.heartbeatTtlS);
  const mysql = config.mysql.url
    ? new MySqlDriver({
        url: config.mysql.url,
        poolSize: config.mysql.poolSize,
        connectTimeoutMs: config.mysql.connectTimeoutMs,
        queryTimeoutMs: config.mysql.queryTimeoutMs,
      })
    : undefined;
  const meta = mysql ? new SqlMetaStore(mysql, () => mysql.open()) : new SqlMetaStore(embedded());
  return { telemetry, state, meta, embedded: sqlite };
}

/** Opens in a stated order (meta first: it holds the schema and the credentials); migrates. */
export async function openStores(stores: Stores, migrate = true): Promise<void> {
  await stores.meta.open();
  if (migrate) await stores.meta.migrate();
  await stores.state.open();
  await stores.telemetry.open();
}

/** Closes in reverse order; the shared SQLite file (if any) last. */
export async function closeStores(stores: Stores & { embedded?: SqliteDriver }): Promise<void> {
  await stores.telemetry.close().catch(() => {});
  await stores.state.close().catch(() => {});
  await stores.meta.close().catch(() => {});
  await stores.embedded?.close();
}
