/**
 * The little the SQL meta store needs from an engine: MySQL/MariaDB (mysql2 pool) or SQLite
 * (better-sqlite3). Both take `?` placeholders, so the queries are shared; only the dialect
 * fragments in meta-store.ts and the DDL in migrations.ts differ.
 */
export type Dialect = 'mysql' | 'sqlite';
export type SqlValue = string | number | null;

export interface SqlDriver {
  readonly dialect: Dialect;
  query<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ affected: number }>;
  /** Runs `fn` in one transaction (retried on deadlock by the MySQL driver, up to 6 times with a jittered back-off). */
  tx<T>(fn: (d: SqlDriver) => Promise<T>): Promise<T>;
  /** Serialises migrations across processes (MySQL GET_LOCK; SQLite holds one writer anyway). */
  withMigrationLock<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Multi-row INSERT IGNORE of `rows` in chunks; returns how many rows were new. */
export async function insertIgnore(d: SqlDriver, table: string, cols: readonly string[], rows: readonly SqlValue[][]): Promise<number> {
  let inserted = 0;
  const verb = d.dialect === 'mysql' ? 'INSERT IGNORE INTO' : 'INSERT OR IGNORE INTO';
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const tuple = `(${cols.map(() => '?').join(',')})`;
    const sql = `${verb} ${table} (${cols.join(',')}) VALUES ${chunk.map(() => tuple).join(',')}`;
    inserted += (await d.run(sql, chunk.flat())).affected;
  }
  return inserted;
}

/**
 * Inside a transaction: holds the org's row in `orgs` until it ends (MySQL/MariaDB `SELECT … FOR
 * UPDATE`; SQLite has one write transaction at a time anyway). Every check of an org-wide rule
 * that the write after it must still find true (the org caps, the org's last admin) takes it
 * first, so two such transactions of one org run one after the other, on any instance. It comes
 * before any plain read, so InnoDB's snapshot for the reads after it is taken once the previous
 * holder has committed.
 */
export async function lockOrg(d: SqlDriver, orgId: string): Promise<void> {
  if (d.dialect === 'mysql') await d.query('SELECT id FROM orgs WHERE id = ? FOR UPDATE', [orgId]);
}

/**
 * Whether a write failed on a unique key (a name, an id or an e-mail taken meanwhile): by the
 * engine's error code (MySQL/MariaDB ER_DUP_ENTRY, SQLite's constraint codes), never its message,
 * which a server may give in another language.
 */
export function isDuplicateKey(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
