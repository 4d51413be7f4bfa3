import type { Database } from 'better-sqlite3';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../shared/log.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../../shared/notify/backoff.js';
import type { Channel } from '../../shared/notify/channels/channel.js';
import { type CookOutlook, type NotifiableEvent, type Notification, outlookOf } from '../../shared/notify/message.js';
import {
  acknowledge,
  dueRepeats,
  endsNotified,
  followNotified,
  type NotifiedAlarms,
  neverNoticeFor,
  notificationFor,
  type OpenAlarms,
  type RuleContext,
  track,
} from '../../shared/notify/rules.js';
import type { GatewayConfig } from '../config.js';
import type { NotifyPlan, NotifyRows } from '../store/items.js';
import { openStore } from '../store/open.js';
import type { StoreWriter } from '../store/writer.js';
import { channelsFrom } from './channels/index.js';
import { DeliveryWorker } from './delivery.js';
import { loadNotified, type NotifiedState, notifiedChanges } from './notified-store.js';
import { pendingByChannel } from './store.js';

export interface NotifierDeps {
  config: GatewayConfig;
  store: StoreWriter;
  log: Logger;
  registry: Registry;
  /** The control clock (event times, reminders). */
  now: () => number;
  retry?: RetryPolicy;
  /** Channels instead of those of the config (`sousvide notify test` builds its own). */
  channels?: Channel[];
}

/**
 * The gateway's notifications, one self-contained part: `plan` decides, for each recorded event,
 * the notification and its delivery rows that commit with the event (RecordSink); the delivery
 * worker sends them; a timer queues the reminders of open critical alarms. Nothing here needs
 * the cloud. The alarms that notified and the reminders of open critical ones are kept in the store
 * with the commits that change them (`notified_alarms`, ADR 081) and loaded at start: a restart
 * neither forgets to tell an alarm's end nor stops its reminders.
 */
export class Notifier {
  readonly name = 'notify';
  private readonly channels: Channel[];
  private readonly channelNames: string[];
  private open: OpenAlarms = new Map();
  /** Alarms that notified and are not over yet (their end is told once). */
  private notified: NotifiedAlarms = new Set();
  /** Each kit's cook outlook, from its last `forecast` event (the done text, the "will not pasteurize" notice). */
  private readonly outlooks = new Map<string, CookOutlook>();
  private reader: Database | undefined;
  private worker: DeliveryWorker | undefined;
  private repeatTimer: NodeJS.Timeout | undefined;
  private readonly sent: Counter;
  private readonly failed: Counter;

  constructor(private readonly d: NotifierDeps) {
    this.channels = d.channels ?? channelsFrom(d.config.notify);
    this.channelNames = this.channels.map((c) => c.name);
    this.sent = new Counter({
      name: 'notify_deliveries_total',
      help: 'Notifications delivered, by channel',
      labelNames: ['channel'],
      registers: [d.registry],
    });
    this.failed = new Counter({
      name: 'notify_failures_total',
      help: 'Failed notification attempts (each is retried with backoff), by channel',
      labelNames: ['channel'],
      registers: [d.registry],
    });
    const self = this;
    new Gauge({
      name: 'notify_pending',
      help: 'Notification deliveries waiting to be sent or retried, by channel',
      labelNames: ['channel'],
      registers: [d.registry],
      collect() {
        this.reset();
        if (!self.reader) return;
        const pending = pendingByChannel(self.reader);
        for (const c of self.channelNames) this.set({ channel: c }, pending.get(c) ?? 0);
      },
    });
    for (const c of this.channelNames) {
      this.sent.inc({ channel: c }, 0);
      this.failed.inc({ channel: c }, 0);
    }
  }

  /** The configured channels' names. */
  get configured(): readonly string[] {
    return this.channelNames;
  }

  /** For RecordSink: the notification an event causes, with its delivery rows, and the changes to the alarms kept; null when none. */
  readonly plan = (e: NotifiableEvent, ctx: RuleContext): NotifyPlan | null => {
    if (this.channels.length === 0) return null;
    const dev = e.deviceId ?? '';
    if (e.type === 'forecast') {
      const o = outlookOf(e);
      const before = this.outlooks.get(dev);
      if (o) this.outlooks.set(dev, o);
      else this.outlooks.delete(dev);
      const never = neverNoticeFor(e, before);
      return never === null ? null : { rows: this.rows(never, e.ts), notified: [] };
    }
    const before = this.state;
    const n = notificationFor(e, {
      ...ctx,
      endsNotified: endsNotified(this.notified, e),
      outlook: this.outlooks.get(dev) ?? null,
    });
    this.open = track(this.open, e, n);
    this.notified = followNotified(this.notified, e, n);
    if (e.type === 'stopped') this.outlooks.delete(dev);
    const notified = notifiedChanges(before, this.state);
    if (n === null && notified.length === 0) return null;
    return { rows: n === null ? null : this.rows(n, e.ts), notified };
  };

  /** An alarm was acknowledged (its id is the id of the event that notified): no more reminders of it. */
  readonly acknowledge = (alarmId: string): void => {
    const before = this.state;
    this.open = acknowledge(this.open, alarmId);
    const changes = notifiedChanges(before, this.state);
    if (changes.length > 0)
      this.d.store.write({ t: 'notified', changes }, (err) => {
        if (err) this.d.log.error({ err }, "could not keep the end of an alarm's reminders");
      });
  };

  private get state(): NotifiedState {
    return { notified: this.notified, open: this.open };
  }

  start(): void {
    if (this.channels.length === 0) return;
    this.reader = openStore(this.d.config.dataDir, { readonly: true });
    ({ notified: this.notified, open: this.open } = loadNotified(this.reader));
    const counts = {
      sent: (channel: string) => this.sent.inc({ channel }),
      failed: (channel: string) => this.failed.inc({ channel }),
    };
    this.worker = new DeliveryWorker(
      this.reader,
      this.d.store,
      new Map(this.channels.map((c) => [c.name, c])),
      counts,
      this.d.log,
      this.d.retry ?? DEFAULT_RETRY,
    );
    this.worker.start();
    this.repeatTimer = setInterval(() => this.queueReminders(), 5000);
    this.repeatTimer.unref();
    this.d.log.info(
      {
        channels: this.channelNames,
        repeatMin: this.d.config.notify.repeatMin,
        notifiedAlarms: this.notified.size,
        reminding: this.open.size,
      },
      'notifications on',
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.repeatTimer);
    await this.worker?.stop();
    for (const c of this.channels) c.close?.();
    this.reader?.close();
    this.reader = undefined;
  }

  private rows(n: Notification, ts: number): NotifyRows {
    return { id: n.id, deviceId: n.deviceId, type: n.type, severity: n.severity, ts, body: JSON.stringify(n), channels: this.channelNames };
  }

  private queueReminders(): void {
    const now = this.d.now();
    const before = this.state;
    const r = dueRepeats(this.open, now, this.d.config.notify.repeatMin * 60_000);
    this.open = r.open;
    const changes = notifiedChanges(before, this.state);
    // Each reminder commits with its alarm's new count and time.
    for (const n of r.due) {
      const notified = changes.filter((c) => c.deviceId === (n.deviceId ?? '') && c.type === n.type);
      this.d.store.write({ t: 'notify', ...this.rows(n, now), notified }, (err) => {
        if (err) this.d.log.error({ err }, 'could not queue an alarm reminder');
      });
    }
  }
}
