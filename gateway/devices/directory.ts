import type { Database, Statement } from 'better-sqlite3';
import type { DeviceRow } from './registry.js';

/**
 * The gateway's in-memory view of the devices table, for authentication without a disk read on
 * the connect path. Provisioning may happen in another process (the CLI), so the directory
 * polls `meta.devices_rev` (bumped by triggers on every change to the devices table; a one-row
 * primary-key read) and reloads when it moved;
 * `onChange` gets the ids whose credentials changed (revoked or rotated), to disconnect them.
 */
export class DeviceDirectory {
  private devices = new Map<string, DeviceRow>();
  private lastVersion = -1;
  private timer: NodeJS.Timeout | undefined;
  private db: Database | undefined;
  private revisionStmt: Statement | undefined;

  /**
   * `db` is the store's read-only connection, or how to get it once the store is open: then the
   * devices are loaded by `start()`.
   */
  constructor(
    private readonly source: Database | (() => Database),
    private readonly onChange: (changedIds: string[]) => void,
  ) {
    if (typeof source !== 'function') this.load();
  }

  private load(): void {
    this.db = typeof this.source === 'function' ? this.source() : this.source;
    this.revisionStmt = this.db.prepare("SELECT value FROM meta WHERE key = 'devices_rev'");
    this.reload();
  }

  get(id: string): DeviceRow | undefined {
    return this.devices.get(id);
  }

  /** Active (not revoked) device ids. */
  ids(): string[] {
    return [...this.devices.values()].filter((d) => d.revoked_ts === null).map((d) => d.id);
  }

  get size(): number {
    return this.devices.size;
  }

  start(pollMs = 500): void {
    if (!this.db) this.load();
    this.timer = setInterval(() => this.poll(), pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  poll(): void {
    if (this.db && this.revision() !== this.lastVersion) this.reload();
  }

  private revision(): number {
    const row = this.revisionStmt?.get() as { value: number } | undefined;
    return row?.value ?? 0;
  }

  private reload(): void {
    this.lastVersion = this.revision();
    const next = new Map<string, DeviceRow>();
    for (const row of (this.db as Database).prepare('SELECT * FROM devices').all() as DeviceRow[]) next.set(row.id, row);
    const changed: string[] = [];
    for (const [id, before] of this.devices) {
      const after = next.get(id);
      if (
        !after ||
        after.revoked_ts !== before.revoked_ts ||
        after.secret_hash !== before.secret_hash ||
        after.cert_fingerprint !== before.cert_fingerprint
      ) {
        changed.push(id);
      }
    }
    this.devices = next;
    if (changed.length > 0) this.onChange(changed);
  }
}
