import type { Database } from 'better-sqlite3';
import type { Logger } from '../../shared/log.js';
import { afterAttempt, type RetryPolicy } from '../../shared/notify/backoff.js';
import { type Channel, describeFailure } from '../../shared/notify/channels/channel.js';
import type { StoreWriter } from '../store/writer.js';
import type { NotifyResult } from '../store/writer-worker.js';
import { type DueDelivery, dueDeliveries } from './store.js';

export interface DeliveryCounts {
  sent(channel: string): void;
  failed(channel: string): void;
}

/**
 * Sends the due delivery rows, one pass at a time, off the ingest and control paths: reads on the
 * read-only connection, sends through the channels, records each attempt through the writer
 * thread. A row is only marked sent after its receiver accepted it, so a kill -9 in between
 * sends it again after the restart (receivers dedupe on the id). The first pass after a start
 * ignores the backoff: what waited across a restart goes at once.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private first = true;

  constructor(
    private readonly db: Database,
    private readonly store: StoreWriter,
    private readonly channels: ReadonlyMap<string, Channel>,
    private readonly counts: DeliveryCounts,
    private readonly log: Logger,
    private readonly policy: RetryPolicy,
    private readonly intervalMs = 500,
    private readonly batch = 20,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Runs a pass unless one is under way. */
  kick(): void {
    if (this.running) return;
    this.running = this.pass()
      .catch((err: Error) => this.log.error({ err }, 'notification delivery pass failed'))
      .finally(() => {
        this.running = undefined;
      });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async pass(): Promise<void> {
    const now = Date.now();
    const due = dueDeliveries(this.db, this.first ? Number.MAX_SAFE_INTEGER : now, this.batch, this.policy.maxMs);
    this.first = false;
    if (due.length === 0) return;
    // Channels in parallel; each sends its rows one after the other, in order.
    const byChannel = new Map<string, DueDelivery[]>();
    for (const d of due) byChannel.set(d.channel, [...(byChannel.get(d.channel) ?? []), d]);
    const results = (
      await Promise.all(
        [...byChannel].map(async ([name, rows]) => {
          const out: NotifyResult[] = [];
          for (const d of rows) out.push(await this.attempt(name, d));
          return out;
        }),
      )
    ).flat();
    await this.store.notifyResults(results);
  }

  private async attempt(name: string, d: DueDelivery): Promise<NotifyResult> {
    const channel = this.channels.get(name);
    let error: string | null = null;
    if (!channel) error = `channel ${name} is no longer configured`;
    else {
      try {
        await channel.send(d.notification);
      } catch (err) {
        error = describeFailure(err);
      }
    }
    if (error === null) this.counts.sent(name);
    else {
      this.counts.failed(name);
      this.log.warn({ channel: name, notification: d.notification.id, attempt: d.attempts + 1, error }, 'notification not delivered');
    }
    // No channel: given up at once (nothing would ever send it).
    return afterAttempt(d, error, Date.now(), channel ? this.policy : { ...this.policy, maxAttempts: 1 });
  }
}
