import mysql, { type Pool, type PoolConnection, type ResultSetHeader } from 'mysql2/promise';
import { cannotConnect } from '../connect-error.js';
import type { SqlDriver, SqlValue } from '../sql/driver.js';

export interface MySqlOptions {
  url: string;
  poolSize: number;
  connectTimeoutMs: number;
  /** A query not answered in time fails and its connection is destroyed (a black-holed server must not pin the pool). */
  queryTimeoutMs: number;
}

const RETRYABLE = new Set([1213, 1205]); // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT

/** MySQL/MariaDB through a mysql2 pool; transactions retry on deadlock (InnoDB picks a victim). */
export class MySqlDriver implements SqlDriver {
  readonly dialect = 'mysql' as const;
  private readonly pool: Pool;
  private readonly timeout: number;
  private readonly url: string;

  constructor(opts: MySqlOptions) {
    this.timeout = opts.queryTimeoutMs;
    this.url = opts.url;
    this.pool = mysql.createPool({
      uri: opts.url,
      connectionLimit: opts.poolSize,
      connectTimeout: opts.connectTimeoutMs,
      waitForConnections: true,
      queueLimit: 0,
      enableKeepAlive: true,
      supportBigNumbers: true,
      charset: 'utf8mb4',
    });
    this.pool.on('connection', (conn) => {
      conn.on('error', () => {}); // a dead connection is dropped by the pool; queries report the failure
    });
  }

  /** Takes one connection: an unreachable server, a wrong password or database is one line naming mysql.url. */
  async open(): Promise<void> {
    let conn: PoolConnection;
    try {
      conn = await this.pool.getConnection();
    } catch (err) {
      throw cannotConnect('mysql.url', this.url, err);
    }
    conn.release();
  }

  async query<T = Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const [rows] = await this.pool.query({ sql, timeout: this.timeout }, params as SqlValue[]);
    return rows as T[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ affected: number }> {
    const [res] = await this.pool.query<ResultSetHeader>({ sql, timeout: this.timeout }, params as SqlValue[]);
    return { affected: res.affectedRows };
  }

  async tx<T>(fn: (d: SqlDriver) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const conn = await this.pool.getConnection();
      try {
        await conn.beginTransaction();
        const result = await fn(connectionDriver(conn, this.timeout));
        await conn.commit();
        return result;
      } catch (err) {
        await conn.rollback().catch(() => {});
        if (attempt >= 6 || !RETRYABLE.has((err as { errno?: number }).errno ?? 0)) throw err;
      } finally {
        conn.release();
      }
      // Only a retry gets here. Back off with jitter: two transactions that deadlocked (e.g. both
      // claiming a new device after gap-locking it) would otherwise restart in step and deadlock again.
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }

  async withMigrationLock<T>(fn: () => Promise<T>): Promise<T> {
    const conn = await this.pool.getConnection();
    try {
      const [rows] = await conn.query("SELECT GET_LOCK('sousvide_migrate', 60) AS got");
      if (Number((rows as { got: number }[])[0]?.got) !== 1) throw new Error('could not take the migration lock within 60 s');
      try {
        return await fn();
      } finally {
        await conn.query("SELECT RELEASE_LOCK('sousvide_migrate')");
      }
    } finally {
      conn.release();
    }
  }

  /**
   * Ends the pool; a connection left half-open by a black-holed server never acknowledges
   * COM_QUIT, so after a grace period the remaining sockets are destroyed (no hang at stop).
   */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), 2_000);
    });
    const outcome = await Promise.race([
      this.pool.end().then(
        () => 'ended' as const,
        () => 'ended' as const,
      ),
      grace,
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      const core = (this.pool as unknown as { pool?: { _allConnections?: { toArray(): { destroy(): void }[] } } }).pool;
      for (const conn of core?._allConnections?.toArray() ?? []) conn.destroy();
    }
  }
}

function connectionDriver(conn: PoolConnection, timeout: number): SqlDriver {
  const d: SqlDriver = {
    dialect: 'mysql',
    async query<T>(sql: string, params: readonly SqlValue[] = []) {
      const [rows] = await conn.query({ sql, timeout }, params as SqlValue[]);
      return rows as T[];
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      const [res] = await conn.query<ResultSetHeader>({ sql, timeout }, params as SqlValue[]);
      return { affected: res.affectedRows };
    },
    tx: (fn) => fn(d),
    withMigrationLock: (fn) => fn(),
    close: async () => {},
  };
  return d;
}
