import type { Database } from 'better-sqlite3';
import type { Logger } from '../../shared/log.js';
import { afterAttempt, type RetryPolicy } from '../../shared/notify/backoff.js';
import { type Channel, describeFailure } from '../../shared/notify/channels/channel.js';
import { ChannelLanes } from '../../shared/notify/lanes.js';
import type { StoreWriter } from '../store/writer.js';
import type { NotifyResult } from '../store/writer-worker.js';
import { type DueDelivery, dueDeliveries } from './store.js';

export interface DeliveryCounts {
  sent(channel: string): void;
  failed(channel: string): void;
}

/** A channel's rows a lane takes at a time (then the next pass gives it the rest). */
const PER_LANE = 10;

/**
 * Sends the due delivery rows off the ingest and control paths: reads on the read-only connection,
 * sends through the channels, records each attempt through the writer thread. Each channel sends in
 * its own lane (shared/notify/lanes.ts): a receiver that does not answer holds back only its own
 * channel's rows, so a webhook that hangs while the internet is down does not delay the kitchen's
 * e-mail or ntfy. A row is only marked sent after its receiver accepted it, so a kill -9 in between
 * sends it again after the restart (receivers dedupe on the id). The first pass after a start
 * ignores the backoff: what waited across a restart goes at once.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private first = true;
  /** Set by stop(): lanes end after the send under way instead of sending the rest of their rows. */
  private stopped = false;
  private readonly lanes: ChannelLanes<DueDelivery>;

  constructor(
    private readonly db: Database,
    private readonly store: StoreWriter,
    private readonly channels: ReadonlyMap<string, Channel>,
    private readonly counts: DeliveryCounts,
    private readonly log: Logger,
    private readonly policy: RetryPolicy,
    private readonly intervalMs = 500,
    private readonly batch = 20,
  ) {
    this.lanes = new ChannelLanes(
      (name, rows) => this.sendAll(name, rows),
      () => {
        if (this.timer) this.kick();
      },
    );
  }

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
    this.timer = undefined;
    this.stopped = true;
    await this.running;
    await this.lanes.idle();
  }

  private async pass(): Promise<void> {
    const now = Date.now();
    const due = dueDeliveries(this.db, this.first ? Number.MAX_SAFE_INTEGER : now, this.batch, this.policy.maxMs, this.lanes.busy());
    this.first = false;
    this.lanes.start(due, (d) => d.channel, PER_LANE);
  }

  /** One channel's rows in order, each attempt recorded before the next is sent. */
  private async sendAll(name: string, rows: readonly DueDelivery[]): Promise<void> {
    try {
      for (const d of rows) {
        if (this.stopped) return; // the rest stay pending for the next start
        await this.store.notifyResults([await this.attempt(name, d)]);
      }
    } catch (err) {
      this.log.error({ err, channel: name }, 'notification delivery failed');
    }
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
