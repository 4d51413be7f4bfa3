import type { Logger } from '../../shared/log.js';
import type { StoreHealthLine } from './health.js';

/** The store's health lines in the gateway's log: what fails, what it costs, what to do. */
export function logStoreHealth(log: Logger, dataDir: string, line: StoreHealthLine): void {
  if (line.kind === 'recovered') {
    log.info({ afterMs: line.afterMs, messages: line.messages }, 'store commits succeed again; the kits resend what was not acknowledged');
    return;
  }
  const hint = /full|SQLITE_FULL|ENOSPC/i.test(line.error)
    ? `free space on the disk of ${dataDir} (old backups, logs)`
    : /readonly|read-only|EROFS|SQLITE_READONLY|I\/O|SQLITE_IOERR/i.test(line.error)
      ? `the disk of ${dataDir} is read-only or failing: check it (dmesg) and restore from a backup if needed`
      : `check the disk of ${dataDir}`;
  const data = { error: line.error, messages: line.messages, ...(line.kind === 'still_failing' ? { forMs: line.forMs } : {}) };
  log.error(data, `store commits fail: kits are not acknowledged and reconnect, control goes on with what it hears; ${hint}`);
}
