import { SvError } from '../errors.js';

/**
 * A store file that SQLite cannot read as a database (another file put in its place, a truncated
 * copy, a disk fault) as one line naming the file, instead of "file is not a database" and a stack
 * from wherever it was first touched; undefined for any other error.
 */
export function damagedStoreError(file: string, err: unknown): SvError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT') return undefined;
  const reason = code === 'SQLITE_NOTADB' ? 'is not a SQLite database' : 'is a damaged SQLite database';
  const m = `store ${file} ${reason} (${code}); restore it from a backup, or point the data dir elsewhere`;
  return new SvError('SV_ERR_STORE_DAMAGED', m, [`store: ${file} ${reason}`]);
}
