import type { StatsReply } from './reader-types.js';

const RATE_WINDOW_MS = 10_000;

/**
 * Backlog figures for the metrics, the local API and each batch's `backlog`: depth (records,
 * bytes, per lane), age of the oldest record, send rate, inflow rate (from the outbox id
 * sequence) and the drain ETA they imply.
 */
export class BacklogStats {
  records = 0;
  bytes = 0;
  oldestTs: number | null = null;
  byPriority: Record<string, { records: number; bytes: number }> = {};
  lastId = 0;
  scanMs = 0;
  inflowPerS = 0;
  private lastIdAt: number | undefined;
  private sent: { ts: number; n: number }[] = [];

  update(s: StatsReply): void {
    this.records = 0;
    this.bytes = 0;
    this.oldestTs = null;
    this.byPriority = {};
    for (const r of s.rows) {
      this.records += r.n;
      this.bytes += r.b;
      if (r.oldest !== null && (this.oldestTs === null || r.oldest < this.oldestTs)) this.oldestTs = r.oldest;
      this.byPriority[String(r.priority)] = { records: r.n, bytes: r.b };
    }
    if (this.lastIdAt !== undefined && s.at > this.lastIdAt) {
      const rate = ((s.lastId - this.lastId) * 1000) / (s.at - this.lastIdAt);
      this.inflowPerS = this.inflowPerS === 0 ? rate : 0.5 * this.inflowPerS + 0.5 * rate;
    }
    this.lastId = s.lastId;
    this.lastIdAt = s.at;
    this.scanMs = s.ms ?? 0;
  }

  onSent(n: number, nowMs: number): void {
    this.sent.push({ ts: nowMs, n });
    // Acked rows leave the depth now; the next scan corrects the figures.
    this.records = Math.max(0, this.records - n);
    while (this.sent.length > 0 && (this.sent[0] as { ts: number }).ts < nowMs - RATE_WINDOW_MS) this.sent.shift();
  }

  /** Records per second acknowledged by the cloud over the last 10 s. */
  sendRate(nowMs: number): number {
    let n = 0;
    for (const s of this.sent) if (s.ts >= nowMs - RATE_WINDOW_MS) n += s.n;
    return n / (RATE_WINDOW_MS / 1000);
  }

  snapshot(nowMs: number) {
    const sendPerS = this.sendRate(nowMs);
    const net = sendPerS - this.inflowPerS;
    return {
      records: this.records,
      bytes: this.bytes,
      oldestAgeMs: this.oldestTs === null ? null : Math.max(0, nowMs - this.oldestTs),
      byPriority: this.byPriority,
      sendPerS,
      inflowPerS: Math.max(0, this.inflowPerS),
      /** Seconds to empty the outbox at the current net rate; null while it is not shrinking. */
      drainEtaS: this.records === 0 ? 0 : net > 0 ? this.records / net : null,
    };
  }
}
