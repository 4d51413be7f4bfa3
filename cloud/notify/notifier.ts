import { hostname } from 'node:os';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../shared/log.js';
import { afterAttempt, DEFAULT_RETRY, type RetryPolicy } from '../../shared/notify/backoff.js';
import { type Channel, describeFailure } from '../../shared/notify/channels/channel.js';
import { EmailChannel } from '../../shared/notify/channels/email.js';
import { NtfyChannel } from '../../shared/notify/channels/ntfy.js';
import { WebhookChannel } from '../../shared/notify/channels/webhook.js';
import { ChannelLanes } from '../../shared/notify/lanes.js';
import { reminderDue } from '../../shared/notify/rules.js';
import type { CloudConfig } from '../config.js';
import type { DueDelivery, MetaStore } from '../stores/types.js';
import { OrgTurns, PerOrgBudget } from './by-org.js';
import { CHANNEL_KINDS, type ChannelSpec } from './channel-spec.js';
import { gatewayOfflineNotification, OFFLINE_LOOKBACK_MS } from './gateway-offline.js';
import { checkSmtpHost, guardedFetch } from './target-guard.js';

export interface NotifierOptions {
  retry?: RetryPolicy;
  /** How often the delivery worker looks for due rows. */
  intervalMs?: number;
  /** How often the gateway-offline check runs. */
  offlineCheckMs?: number;
  /** How long a claimed delivery is this instance's before another may try it (longer than one send). */
  leaseMs?: number;
  /** Notifications one org may queue in one check (tests; default PER_ORG_CHECK). */
  perOrgCheck?: number;
}

/** A channel's rows a lane takes at a time (then the next pass gives it the rest). */
const PER_LANE = 10;

/** Critical alarms raised longer ago than this no longer remind (a week of reminders is enough to be heard). */
const REMINDER_LOOKBACK_MS = 7 * 24 * 3_600_000;
/**
 * Notifications one org may queue in one check (every 30 s): the rest wait for the next, so one
 * org's mass outage or pile of open alarms never holds back another org's (by-org.ts).
 */
const PER_ORG_CHECK = 100;

/**
 * The cloud's notifications: a delivery worker over the durable queue in the meta store, and the
 * checks for gateways gone offline and for critical alarms to remind of; every instance runs them. Rows are claimed one by one (a conditional
 * update of their next attempt time), so two instances never send the same row at once, and a row
 * an instance claimed and died with is retried by another when its lease ends. Ingest only
 * enqueues (in its own transaction); nothing here runs on the ingest path.
 */
export class CloudNotifier {
  private deliverTimer: NodeJS.Timeout | undefined;
  private offlineTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private checking: Promise<void> | undefined;
  private again = false;
  /** Set by stop(): lanes end after the send under way instead of sending the rest of their rows. */
  private stopped = false;
  private readonly sent: Counter<'channel'>;
  private readonly failed: Counter<'channel'>;
  private readonly retry: RetryPolicy;
  private readonly lanes: ChannelLanes<DueDelivery>;
  /** Refuses private targets unless notify.allowPrivateTargets (target-guard.ts). */
  private readonly fetch: typeof fetch | undefined;

  /** Where each org's rows start in the next check (by-org.ts). */
  private readonly offlineTurns = new OrgTurns();
  private readonly reminderTurns = new OrgTurns();
  private readonly perOrgCheck: number;
  constructor(
    private readonly meta: MetaStore,
    private readonly config: CloudConfig,
    private readonly log: Logger,
    registry: Registry,
    private readonly now: () => number,
    private readonly opts: NotifierOptions = {},
  ) {
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.perOrgCheck = opts.perOrgCheck ?? PER_ORG_CHECK;
    this.lanes = new ChannelLanes(
      (_, rows) => this.sendAll(rows),
      () => {
        if (this.deliverTimer) this.kick();
      },
    );
    this.fetch = config.notify.allowPrivateTargets ? undefined : guardedFetch();
    this.sent = new Counter({
      name: 'notify_deliveries_total',
      help: "Notifications delivered to the orgs' channels, by channel kind",
      labelNames: ['channel'],
      registers: [registry],
    });
    this.failed = new Counter({
      name: 'notify_failures_total',
      help: 'Failed notification attempts (each is retried with backoff), by channel kind',
      labelNames: ['channel'],
      registers: [registry],
    });
    new Gauge({
      name: 'notify_pending',
      help: 'Notification deliveries waiting to be sent or retried, by channel kind (every instance reports the shared queue)',
      labelNames: ['channel'],
      registers: [registry],
      collect: async function (this: Gauge<'channel'>) {
        const pending = await meta.notify.pendingByKind().catch(() => new Map<string, number>());
        for (const k of CHANNEL_KINDS) this.set({ channel: k }, pending.get(k) ?? 0);
      },
    });
    for (const k of CHANNEL_KINDS) {
      this.sent.inc({ channel: k }, 0);
      this.failed.inc({ channel: k }, 0);
    }
    const skipped = new Counter({
      name: 'notify_skipped_total',
      help: 'Relayed events that did not notify: late (older than notify.maxEventAgeMin on arrival) or an alarm already cleared',
      labelNames: ['reason'],
      registers: [registry],
    });
    for (const reason of ['late', 'cleared']) skipped.inc({ reason }, 0);
    // Ingest applies them (cloud/stores/sql/notify-store.ts enqueueForEvents); every copy of the store shares this object.
    Object.assign(meta.notify.ingestRules, {
      maxEventAgeMs: config.notify.maxEventAgeMin * 60_000,
      skipped: (reason: 'late' | 'cleared', n: number) => skipped.inc({ reason }, n),
    });
  }

  start(): void {
    this.deliverTimer = setInterval(() => this.kick(), this.opts.intervalMs ?? 1000);
    this.deliverTimer.unref();
    this.offlineTimer = setInterval(() => {
      if (this.checking) return;
      this.checking = Promise.all([this.checkOffline(), this.checkReminders()])
        .then(() => {})
        .catch((err: Error) => this.log.error({ err: err.message }, 'notification checks (gateway offline, reminders) failed'))
        .finally(() => {
          this.checking = undefined;
        });
    }, this.opts.offlineCheckMs ?? 30_000);
    this.offlineTimer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    clearInterval(this.deliverTimer);
    clearInterval(this.offlineTimer);
    this.deliverTimer = undefined;
    this.stopped = true;
    await Promise.all([this.running, this.checking]);
    await this.lanes.idle();
  }

  /** Runs a delivery pass now (another follows at once when one is under way). */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((err: Error) => this.log.error({ err: err.message }, 'notification delivery pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again && this.deliverTimer) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Waits for the pass under way and the lanes it started (tests). */
  async idle(): Promise<void> {
    while (this.running || this.lanes.busy().length > 0) {
      await this.running;
      await this.lanes.idle();
    }
  }

  /**
   * Each gateway silent for `notify.gatewayOfflineMin` notifies its org once per silence; with
   * several instances, the first to insert the notification sends it. Returns how many it queued.
   */
  async checkOffline(): Promise<number> {
    const now = this.now();
    const silentSince = now - this.config.notify.gatewayOfflineMin * 60_000;
    const silent = await this.meta.notify.silentGateways(silentSince, silentSince - OFFLINE_LOOKBACK_MS);
    const budget = new PerOrgBudget(this.perOrgCheck);
    let queued = 0;
    for (const gw of this.offlineTurns.order(silent)) {
      if (!budget.take(gw.orgId)) continue;
      const n = await this.meta.notify.enqueueOnce(gw.orgId, gw.id, gatewayOfflineNotification(gw, now), now);
      if (n > 0) budget.queuedOne(gw.orgId);
      if (n > 0) this.log.info({ gatewayId: gw.id, orgId: gw.orgId, lastSeenMs: gw.lastSeenMs }, 'gateway offline: notified');
      queued += n;
    }
    budget.advance(this.offlineTurns);
    if (queued > 0) this.kick();
    return queued;
  }

  /**
   * Each critical alarm still open (neither acknowledged nor cleared) notifies its org again every
   * `notify.repeatMin`, counted from its raise; the reminder's id (`<alarm id>~r<n>`) is its claim,
   * so with several instances checking it is sent once. Returns how many deliveries it queued.
   */
  async checkReminders(): Promise<number> {
    const now = this.now();
    const repeatMs = this.config.notify.repeatMin * 60_000;
    const budget = new PerOrgBudget(this.perOrgCheck);
    let queued = 0;
    for (const a of this.reminderTurns.order(await this.meta.notify.openCriticalAlarms(now - REMINDER_LOOKBACK_MS))) {
      if (!budget.take(a.orgId)) continue;
      const due = reminderDue(a.first, a.raisedAt, now, repeatMs);
      if (!due) continue;
      const n = await this.meta.notify.enqueueOnce(a.orgId, a.gatewayId, due, now);
      if (n > 0) budget.queuedOne(a.orgId);
      queued += n;
    }
    budget.advance(this.reminderTurns);
    if (queued > 0) this.kick();
    return queued;
  }

  /**
   * Starts a lane for each channel with rows due and no lane under way (shared/notify/lanes.ts):
   * one org's channel that does not answer holds back only its own rows, never another org's.
   */
  private async pass(): Promise<void> {
    const due = await this.meta.notify.dueDeliveries(this.now(), 200, this.lanes.busy());
    this.lanes.start(due, (d) => d.channelId, PER_LANE);
  }

  /**
   * One channel's rows in order. Each is claimed just before it is sent, so a lease covers one send,
   * and a row another instance claimed meanwhile is skipped here.
   */
  private async sendAll(rows: readonly DueDelivery[]): Promise<void> {
    try {
      for (const d of rows) {
        if (this.stopped) return; // the rest stay pending, unclaimed, for the next start
        if (await this.meta.notify.claimDelivery(d.delivery, d.nextTs, this.now() + (this.opts.leaseMs ?? 60_000))) await this.attempt(d);
      }
    } catch (err) {
      this.log.error({ err: (err as Error).message, channelId: rows[0]?.channelId }, 'notification delivery failed');
    }
  }

  private async attempt(d: DueDelivery): Promise<void> {
    let error: string | null = null;
    // A sealed config that does not open (ADR 076): the delivery fails with the reason (it names
    // notify.secretsKey) and is retried by the policy, so a key put right in time still delivers it.
    if (d.unreadable !== undefined) error = d.unreadable;
    else if (d.channel === null) error = 'channel removed';
    else {
      const channel = this.channelFor(d.channel);
      try {
        if (d.channel.kind === 'email' && this.fetch) await checkSmtpHost(d.channel.smtpUrl);
        await channel.send(d.notification);
      } catch (err) {
        error = describeFailure(err);
      } finally {
        channel.close?.();
      }
    }
    if (error === null) this.sent.inc({ channel: d.kind });
    else {
      this.failed.inc({ channel: d.kind });
      // The channel's id and kind, never its URL or secret.
      this.log.warn(
        { orgId: d.orgId, channelId: d.channelId, channel: d.kind, notification: d.notification.id, attempt: d.attempts + 1, error },
        'notification not delivered',
      );
    }
    const policy = d.channel === null && d.unreadable === undefined ? { ...this.retry, maxAttempts: 1 } : this.retry;
    await this.meta.notify.recordAttempt(afterAttempt(d, error, this.now(), policy));
  }

  private channelFor(spec: ChannelSpec): Channel {
    if (spec.kind === 'webhook') return new WebhookChannel(spec.url, spec.secret, undefined, this.fetch);
    if (spec.kind === 'ntfy') return new NtfyChannel(spec.url, this.fetch);
    return new EmailChannel({
      smtpUrl: spec.smtpUrl,
      to: spec.to,
      from: this.config.notify.emailFrom ?? `sousvide@${hostname()}`,
      caFile: this.config.notify.smtpCaFile,
      idDomain: 'sousvide.cloud',
    });
  }
}
