import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { privateDir, privateFiles, sqliteFiles } from '../../../shared/fs/private.js';
import { damagedStoreError } from '../../../shared/fs/sqlite-file.js';
import type { SqlDriver, SqlValue } from '../sql/driver.js';

/**
 * The embedded back-end's one SQLite file (WAL). better-sqlite3 is synchronous; an async
 * transaction body is serialised by a promise chain so that two requests never interleave
 * inside one BEGIN … COMMIT on the single connection.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly db: Database.Database;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    if (file !== ':memory:') privateDir(dirname(file));
    this.db = new Database(file);
    try {
      // Before WAL: SQLite gives the -wal and -shm files the database file's mode.
      if (file !== ':memory:') privateFiles(file);
      this.db.pragma('journal_mode = WAL');
      if (file !== ':memory:') privateFiles(...sqliteFiles(file));
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
    } catch (err) {
      this.db.close();
      throw damagedStoreError(resolve(file), err) ?? err;
    }
  }

  /** Runs statements directly: only inside an exclusive section (a transaction body). */
  private readonly direct: SqlDriver = {
    dialect: 'sqlite',
    query: async <T>(sql: string, params: readonly SqlValue[] = []) => this.db.prepare(sql).all(...params) as T[],
    run: async (sql: string, params: readonly SqlValue[] = []) => ({ affected: this.db.prepare(sql).run(...params).changes }),
    tx: (fn) => fn(this.direct),
    withMigrationLock: (fn) => fn(),
    close: async () => {},
  };

  query<T = Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.exclusive(() => this.direct.query<T>(sql, params));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<{ affected: number }> {
    return this.exclusive(() => this.direct.run(sql, params));
  }

  /** Serialises `fn` after every earlier exclusive section (transactions, writes of other stores). */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }

  tx<T>(fn: (d: SqlDriver) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.direct);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  withMigrationLock<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
