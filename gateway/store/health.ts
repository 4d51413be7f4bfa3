/**
 * Whether the store's group commits succeed, for the operator: a failing store (a full SD card,
 * a read-only remount after an I/O error) means kits are not acknowledged and reconnect over and
 * over, while control goes on with what it hears. One line when commits start failing, one a
 * minute while they keep failing, one when they succeed again. Pure: time is passed in.
 */
export const FAILING_REPEAT_MS = 60_000;

export type StoreHealthLine =
  | { kind: 'failing'; error: string; messages: number }
  | { kind: 'still_failing'; error: string; forMs: number; messages: number }
  | { kind: 'recovered'; afterMs: number; messages: number };

export class StoreHealth {
  private since: number | null = null;
  private lastLine = 0;
  private lastError = '';
  /** Messages of the failed commits in the current episode (not acknowledged). */
  private lost = 0;

  /** One group commit of `items` messages: `error` when it failed. A line to log, or null. */
  commit(items: number, error: string | undefined, nowMs: number): StoreHealthLine | null {
    if (error === undefined) {
      if (this.since === null) return null;
      const line: StoreHealthLine = { kind: 'recovered', afterMs: Math.round(nowMs - this.since), messages: this.lost };
      this.since = null;
      this.lost = 0;
      return line;
    }
    this.lost += items;
    this.lastError = error;
    if (this.since === null) {
      this.since = nowMs;
      this.lastLine = nowMs;
      return { kind: 'failing', error, messages: items };
    }
    if (nowMs - this.lastLine < FAILING_REPEAT_MS) return null;
    this.lastLine = nowMs;
    return { kind: 'still_failing', error, forMs: Math.round(nowMs - this.since), messages: this.lost };
  }

  /** For /healthz: null while commits succeed. */
  failing(nowMs: number): { error: string; forMs: number } | null {
    return this.since === null ? null : { error: this.lastError, forMs: Math.round(nowMs - this.since) };
  }
}
