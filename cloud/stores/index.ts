import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configInvalid } from '../../shared/config/load.js';
import { SvError } from '../../shared/errors.js';
import { type CloudConfig, notifyKeyProblems } from '../config.js';
import { type ChannelKeys, channelKeys } from '../notify/sealed-config.js';
import { InfluxTelemetryStore } from './influx/influx-store.js';
import { MySqlDriver } from './mysql/mysql-driver.js';
import { RedisStateStore } from './redis/redis-store.js';
import { SqlMetaStore } from './sql/meta-store.js';
import { SqliteDriver } from './sqlite/sqlite-driver.js';
import { SqliteStateStore } from './sqlite/sqlite-state.js';
import { SqliteTelemetryStore } from './sqlite/sqlite-telemetry.js';
import type { MetaStore, Stores } from './types.js';

/** The embedded store's one SQLite file in the data dir. */
export const EMBEDDED_FILE = 'cloud.db';

/**
 * Picks each role's engine: the production server when its URL is configured, else the embedded
 * SQLite file `<dataDir>/cloud.db` (the default with no URLs: the demo and a one-household
 * install need no servers). Nothing connects until `openStores`.
 */
export function createStores(config: CloudConfig): Stores & { embedded?: SqliteDriver } {
  const keys = notifyKeys(config); // before anything opens: a bad pair refuses with nothing to close
  let sqlite: SqliteDriver | undefined;
  const embedded = () => {
    sqlite ??= new SqliteDriver(join(config.dataDir, EMBEDDED_FILE));
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
  const meta = config.mysql.url ? mysqlMeta(config.mysql.url, config, keys) : new SqlMetaStore(embedded(), undefined, keys);
  const state = config.redis.url
    ? new RedisStateStore({
        url: config.redis.url,
        commandTimeoutMs: config.redis.commandTimeoutMs,
        keyPrefix: config.redis.keyPrefix,
        heartbeatTtlS: config.ingest.heartbeatTtlS,
        orgOfGateway: (id) => meta.orgOf('gateways', id),
      })
    : new SqliteStateStore(embedded(), config.ingest.heartbeatTtlS);
  return { telemetry, state, meta, embedded: sqlite };
}

/** notify.secretsKey and notify.previousSecretsKeys derived; refused (naming the key) when they do not go together. */
function notifyKeys(config: CloudConfig): ChannelKeys {
  const problems = notifyKeyProblems(config.notify);
  if (problems.length > 0) throw configInvalid('cloud', problems);
  return channelKeys(config.notify.secretsKey, config.notify.previousSecretsKeys);
}

function mysqlMeta(url: string, config: CloudConfig, keys: ChannelKeys): SqlMetaStore {
  const mysql = new MySqlDriver({
    url,
    poolSize: config.mysql.poolSize,
    connectTimeoutMs: config.mysql.connectTimeoutMs,
    queryTimeoutMs: config.mysql.queryTimeoutMs,
  });
  return new SqlMetaStore(mysql, () => mysql.open(), keys);
}

/**
 * The meta store alone, for the admin commands (they need no other store, and touch no data dir
 * with MySQL configured). Only the cloud and `cloud migrate` (`create`) make the embedded store:
 * the other commands refuse a data dir without one, so a mistyped `--data-dir` never issues
 * credentials into a store no server uses. Closing the meta store closes its driver.
 */
export function createMetaStore(config: CloudConfig, options: { create: boolean }): MetaStore {
  const keys = notifyKeys(config);
  if (config.mysql.url) return mysqlMeta(config.mysql.url, config, keys);
  const file = join(config.dataDir, EMBEDDED_FILE);
  if (!options.create && !existsSync(file)) {
    const m = `no cloud store at ${resolve(config.dataDir)} (start the cloud or run sousvide cloud migrate there first, or pass --data-dir)`;
    throw new SvError('SV_ERR_NO_STORE', m, [`dataDir: ${m}`]);
  }
  return new SqlMetaStore(new SqliteDriver(file), undefined, keys);
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
