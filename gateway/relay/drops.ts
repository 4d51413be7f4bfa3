import { randomBytes } from 'node:crypto';
import type { RelayRecord } from '../../shared/relay/batch.js';

/**
 * Records the relay dropped, by reason (`quota:<kind>` for disk-quota eviction, `rejected:<kind>`
 * for a record the cloud refused as invalid, kept in the dead letters). Totals go in every batch's
 * backlog and in the metrics; the not-yet-reported part becomes one event record (docs/design.md
 * invariant 1: eviction is explicit, counted, reported). This is the in-memory mirror of the
 * counts in the store (relay_drops), which are written with the drops themselves and survive a
 * restart or a crash.
 */
export class DropCounter {
  readonly totals: Record<string, number> = {};
  private pending: Record<string, number> = {};
  private pendingSince: number | undefined;

  add(reason: string, n: number, nowMs: number): void {
    if (n <= 0) return;
    this.totals[reason] = (this.totals[reason] ?? 0) + n;
    this.pending[reason] = (this.pending[reason] ?? 0) + n;
    this.pendingSince ??= nowMs;
  }

  addAll(prefix: string, byKind: Record<string, number>, nowMs: number): number {
    let n = 0;
    for (const [kind, count] of Object.entries(byKind)) {
      this.add(`${prefix}:${kind}`, count, nowMs);
      n += count;
    }
    return n;
  }

  /** The counts kept in the store across a restart (store/relay-state.ts). */
  load(s: { totals: Record<string, number>; pending: Record<string, number>; pendingSince: number | null }): void {
    for (const [reason, n] of Object.entries(s.totals)) this.totals[reason] = n;
    this.pending = { ...s.pending };
    this.pendingSince = s.pendingSince ?? undefined;
  }

  get hasPending(): boolean {
    return this.pendingSince !== undefined;
  }

  /** The `relay_drop` event for the pending counts (then cleared), or undefined when none. */
  takeReport(nowMs: number): string | undefined {
    if (this.pendingSince === undefined) return undefined;
    const dropped = this.pending;
    const record: RelayRecord = {
      kind: 'event',
      id: `drop-${nowMs.toString(36)}-${randomBytes(5).toString('hex')}`,
      deviceId: null,
      type: 'relay_drop',
      severity: 'warning',
      ts: nowMs,
      // Not a safety event, but queued in the protected lane (priority 0) so the report itself
      // is never evicted by the quota it reports on.
      safety: false,
      data: { dropped, sinceTs: this.pendingSince, untilTs: nowMs },
    };
    this.pending = {};
    this.pendingSince = undefined;
    return JSON.stringify(record);
  }

  /** Puts back counts whose report could not be queued. */
  restore(record: string): void {
    const parsed = JSON.parse(record) as { data: { dropped: Record<string, number>; sinceTs: number } };
    for (const [reason, n] of Object.entries(parsed.data.dropped)) this.pending[reason] = (this.pending[reason] ?? 0) + n;
    this.pendingSince = Math.min(this.pendingSince ?? parsed.data.sinceTs, parsed.data.sinceTs);
  }
}
