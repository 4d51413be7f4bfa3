/**
 * The notification checks' order (gateway offline, reminders): one row of each org in turn, each
 * org's rows in the order given. An org with thousands of silent gateways or open critical alarms
 * then delays another org's first notification by one row per org, not by all of its own rows.
 * Pure.
 */
export function roundRobinByOrg<T extends { orgId: string }>(rows: readonly T[]): T[] {
  const byOrg = new Map<string, T[]>();
  for (const r of rows) {
    const mine = byOrg.get(r.orgId);
    if (mine) mine.push(r);
    else byOrg.set(r.orgId, [r]);
  }
  const queues = [...byOrg.values()];
  const out: T[] = [];
  for (let i = 0; out.length < rows.length; i++) for (const q of queues) if (i < q.length) out.push(q[i] as T);
  return out;
}

/**
 * Counts what each org queued in one check, so that a check stops queueing for an org past
 * `perOrg` (the rest wait for the next check) while it goes on for the others.
 */
export class PerOrgBudget {
  private readonly used = new Map<string, number>();
  constructor(private readonly perOrg: number) {}

  /** Whether the org may queue more in this check. */
  has(orgId: string): boolean {
    return (this.used.get(orgId) ?? 0) < this.perOrg;
  }

  spend(orgId: string, n: number): void {
    if (n > 0) this.used.set(orgId, (this.used.get(orgId) ?? 0) + n);
  }
}
