/**
 * The notification checks' order and share (gateway offline, reminders). Each check takes one row
 * of each org in turn, and each org's rows from where its last check stopped: an org with thousands
 * of silent gateways or open critical alarms delays another org's first notification by one row
 * per org, and none of its own rows waits behind the others for ever. Pure.
 */
export class OrgTurns {
  private start = new Map<string, number>();

  /** Each org's rows in the order given, rotated to begin where its last check stopped; then one row of each org in turn. */
  order<T extends { orgId: string }>(rows: readonly T[]): T[] {
    const byOrg = new Map<string, T[]>();
    for (const r of rows) {
      const mine = byOrg.get(r.orgId);
      if (mine) mine.push(r);
      else byOrg.set(r.orgId, [r]);
    }
    const start = new Map<string, number>(); // orgs with no rows now start afresh next time
    const queues: T[][] = [];
    for (const [orgId, q] of byOrg) {
      const k = (this.start.get(orgId) ?? 0) % q.length;
      start.set(orgId, k);
      queues.push(k === 0 ? q : [...q.slice(k), ...q.slice(0, k)]);
    }
    this.start = start;
    const out: T[] = [];
    for (let i = 0; out.length < rows.length; i++) for (const q of queues) if (i < q.length) out.push(q[i] as T);
    return out;
  }

  /** The org's next check begins `n` rows further on (the rows this check went through). */
  advance(orgId: string, n: number): void {
    if (n > 0) this.start.set(orgId, (this.start.get(orgId) ?? 0) + n);
  }
}

/**
 * What each org queued in one check, in notifications (not deliveries: an org with many channels
 * gets as many notifications as one with few): past `perOrg` the check goes on for the other orgs
 * only, and the rest wait for the next check. Also counts the rows each org's share went through.
 */
export class PerOrgBudget {
  private readonly queued = new Map<string, number>();
  readonly visited = new Map<string, number>();
  constructor(private readonly perOrg: number) {}

  /** Whether the org may queue more in this check; when it may, the row is counted as gone through. */
  take(orgId: string): boolean {
    if ((this.queued.get(orgId) ?? 0) >= this.perOrg) return false;
    this.visited.set(orgId, (this.visited.get(orgId) ?? 0) + 1);
    return true;
  }

  /** One notification of the org was queued (to any number of its channels). */
  queuedOne(orgId: string): void {
    this.queued.set(orgId, (this.queued.get(orgId) ?? 0) + 1);
  }

  /** Moves each org's turn on by the rows this check went through. */
  advance(turns: OrgTurns): void {
    for (const [orgId, n] of this.visited) turns.advance(orgId, n);
  }
}
