import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Logger } from '../../shared/log.js';
import { PRIORITY } from '../store/items.js';
import type { StoreWriter } from '../store/writer.js';
import type { DesiredHandler } from './downlink.js';
import { DropCounter } from './drops.js';
import type { RelayOptions } from './options.js';
import { OutboxReader } from './outbox-reader.js';
import { Backoff, BatchSizer } from './pacing.js';
import type { Lane, ReadReply } from './reader-types.js';
import { BacklogStats } from './stats.js';
import { CloudTransport, type SendOutcome } from './transport.js';

export type LinkState = 'starting' | 'up' | 'retrying' | 'throttled' | 'unauthorized' | 'stopped';
const ALL = Number.MAX_SAFE_INTEGER;

/**
 * Store-and-forward to the cloud. One batch in flight at a time, read in lane order (safety
 * events and audit, latest state, live telemetry, then the backlog), each lane in outbox id order,
 * so a device's records reach the cloud in order within a lane. A row leaves the outbox only
 * after the cloud's 2xx for the batch that carried it (ack-then-delete, DESIGN.md invariant 1).
 */
export class Relay {
  state: LinkState = 'starting';
  /** The desired-state version applied here; the cloud answers with anything newer. */
  desiredVersion = 0;
  onDesired: DesiredHandler | undefined;
  readonly drops = new DropCounter();
  readonly backlog = new BacklogStats();
  readonly sizer: BatchSizer;
  lastSuccessTs: number | undefined;
  lastError: string | undefined;
  sentRecords = 0;
  sentBatches = 0;
  private readonly backoff: Backoff;
  private readonly reader: OutboxReader;
  private transport: CloudTransport | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Outbox ids ≤ split are the backlog lane; newer bulk telemetry is the live lane. */
  private split = 0;
  private recovering = true;
  private bisect: number | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private lastDropReport = Date.now();
  private lastAttemptTs = 0;
  /**
   * Per lane, the last outbox id already delivered: the next read starts after it, so the delete
   * of acknowledged rows (on the writer thread) and the read of the next batch need not wait for
   * each other. Reset, after the pending deletes, whenever the lanes change.
   */
  private cursors: number[] = [];
  private pendingAck: Promise<void> = Promise.resolve();
  /** The next batch, read while the previous one was in flight (used only if that one was delivered). */
  private prefetched: ReadReply | undefined;

  constructor(
    private readonly opts: RelayOptions,
    private readonly store: StoreWriter,
    dataDir: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.reader = new OutboxReader(dataDir);
    this.backoff = new Backoff(opts.backoffBaseMs, opts.backoffMaxMs);
    this.sizer = new BatchSizer(opts.batchMinRecords, opts.batchMaxRecords, opts.targetLatencyMs);
  }

  start(): void {
    this.reader.open();
    this.transport = new CloudTransport(this.opts);
    this.running = true;
    this.loop = this.run().catch((err: Error) => this.log.error({ err }, 'relay loop failed'));
    this.scheduleStats(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.statsTimer);
    this.wake?.();
    // Abort a batch in flight rather than wait up to the request timeout: its rows stay in the
    // outbox and go again after the restart (a no-op if the cloud had committed them).
    await this.transport?.close();
    await this.loop;
    await this.pendingAck;
    await this.queueDropReport(); // counts survive a clean stop; the store closes after the relay
    this.state = 'stopped';
    await this.reader.close();
  }

  private lanes(after: number[] = this.cursors): Lane[] {
    const lanes: Lane[] = [
      { priority: PRIORITY.safety, after: 0, upTo: ALL },
      { priority: PRIORITY.state, after: 0, upTo: ALL },
      { priority: PRIORITY.bulk, after: this.split, upTo: ALL },
    ];
    if (this.split > 0) lanes.push({ priority: PRIORITY.bulk, after: 0, upTo: this.split });
    return lanes.map((l, i) => ({ ...l, after: Math.max(l.after, after[i] ?? 0) }));
  }

  private head(): string {
    const b = this.backlog.snapshot(this.now());
    const backlog = { records: b.records, bytes: b.bytes, oldestAgeMs: b.oldestAgeMs, dropped: this.drops.totals };
    const batchId = `b-${this.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    return `{"v":1,"batchId":"${batchId}","sentAt":${this.now()},"desiredVersion":${this.desiredVersion},"backlog":${JSON.stringify(backlog)},"records":[`;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.step();
      } catch (err) {
        // A local failure (reader thread, store) must not end the relay: log, back off, go on.
        if (!this.running) break;
        this.lastError = (err as Error).message;
        this.log.error({ err }, 'relay: local error, retrying');
        await this.sleep(this.backoff.next());
      }
    }
  }

  private async step(): Promise<void> {
    const limit = Math.min(this.bisect ?? this.sizer.current, this.sizer.current);
    const batch =
      this.prefetched ?? (await this.reader.read(this.lanes(), limit, this.opts.batchMaxBytes, this.opts.lingerMs, this.head()));
    this.prefetched = undefined;
    let body = batch.body;
    let ids = batch.ids;
    if (batch.count === 0 && this.now() - this.lastAttemptTs >= this.opts.idleSyncMs) {
      // Nothing queued: an empty batch still goes now and then, as the heartbeat and for the downlink.
      body = gzipSync(`${this.head()}]}`);
      ids = new Float64Array(0);
    } else if (batch.waitMs > 0 || !body || !ids) {
      await this.sleep(Math.min(batch.waitMs || this.opts.lingerMs, this.opts.lingerMs));
      return;
    }
    if (!body || !ids || !this.running) return;
    this.lastAttemptTs = this.now();
    const started = performance.now();
    const sending = (this.transport as CloudTransport).send(body, this.now);
    // While the cloud works on this batch, read the next one past it (dropped unless this one is delivered).
    const next =
      ids.length > 0
        ? this.reader
            .read(this.lanes(batch.laneLast), limit, this.opts.batchMaxBytes, this.opts.lingerMs, this.head())
            .catch(() => undefined)
        : undefined;
    const outcome = await sending;
    const latencyMs = performance.now() - started;
    const following = await next;
    if (outcome.kind === 'ok') {
      const split = this.split;
      this.cursors = batch.laneLast;
      await this.onDelivered(outcome, [...ids], latencyMs, batch.lastId);
      if (following?.body && this.split === split && this.bisect === undefined) this.prefetched = following;
    } else if (outcome.kind === 'rejected') await this.onRejected(outcome, [...ids], body);
    else await this.onFailure(outcome);
  }

  private async onDelivered(outcome: Extract<SendOutcome, { kind: 'ok' }>, ids: number[], latencyMs: number, lastId: number) {
    // Ack-then-delete: the delete runs on the writer thread while the next batch goes (the cursors
    // keep these rows out of it); deletes stay in order.
    const previous = this.pendingAck;
    this.pendingAck = (async () => {
      await previous;
      try {
        await this.store.outboxAck(ids);
      } catch (err) {
        // The rows stay; past the cursors, they go again after a restart (a no-op in the cloud).
        this.log.error({ err, rows: ids.length }, 'relay: deleting acknowledged rows failed');
      }
    })();
    const now = this.now();
    this.sentRecords += ids.length;
    this.sentBatches++;
    this.backlog.onSent(ids.length, now);
    this.sizer.onSuccess(ids.length, latencyMs);
    this.backoff.reset();
    this.bisect = undefined;
    this.lastSuccessTs = now;
    if (this.state !== 'up') this.log.info({ afterFailures: this.backoff.failures }, 'relay: cloud link up');
    this.state = 'up';
    if (this.recovering) {
      // Back after an outage (or a restart): what is queued now is backlog; newer telemetry is live and goes first.
      await this.pendingAck;
      this.split = Math.max(this.split, lastId);
      this.cursors = []; // the lanes changed: read from the outbox as it is
      this.recovering = false;
    }
    if (outcome.invalidReply) this.log.warn({ reason: outcome.invalidReply }, 'relay: 2xx with an invalid reply (batch delivered)');
    const desired = outcome.reply?.desired;
    if (desired && desired.version > this.desiredVersion) {
      if (!this.onDesired) {
        this.log.info({ version: desired.version, devices: desired.devices.length }, 'relay: desired state received, no handler');
      } else {
        try {
          await this.onDesired(desired);
          this.desiredVersion = desired.version;
        } catch (err) {
          this.log.error({ err, version: desired.version }, 'relay: applying the desired state failed; the cloud will resend it');
        }
      }
    }
    if (this.drops.hasPending) await this.queueDropReport();
  }

  /** A batch the cloud will never take: halve until one record is isolated, then dead-letter it. */
  private async onRejected(outcome: Extract<SendOutcome, { kind: 'rejected' }>, ids: number[], body: Uint8Array) {
    this.lastError = `HTTP ${outcome.status}: ${outcome.detail.slice(0, 200)}`;
    if (outcome.status === 413) this.sizer.shrink(); // too big for the cloud: stay smaller from now on
    if (ids.length > 1) {
      this.bisect = Math.max(1, Math.floor(ids.length / 2));
      return;
    }
    const text = gunzipSync(body).toString('utf8');
    const record = (JSON.parse(text) as { records: { kind: string; deviceId?: string | null }[] }).records[0];
    const payload = Buffer.from(JSON.stringify(record));
    await new Promise<void>((resolve, reject) =>
      this.store.write(
        {
          t: 'dlq',
          deviceId: record?.deviceId ?? null,
          topic: 'relay/outbox',
          code: 'SV_ERR_PAYLOAD_INVALID',
          reason: this.lastError ?? '',
          payload,
          rxTs: this.now(),
        },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    await this.store.outboxAck(ids);
    this.drops.add(`rejected:${record?.kind ?? 'unknown'}`, 1, this.now());
    this.bisect = undefined;
    this.log.error({ status: outcome.status, kind: record?.kind }, 'relay: record refused by the cloud, kept in dead letters');
  }

  private async onFailure(outcome: Exclude<SendOutcome, { kind: 'ok' | 'rejected' }>) {
    const retryAfterMs = outcome.kind === 'busy' ? outcome.retryAfterMs : undefined;
    const throttled = outcome.kind === 'busy' && (outcome.status === 429 || outcome.status === 503);
    this.state = outcome.kind === 'unauthorized' ? 'unauthorized' : throttled ? 'throttled' : 'retrying';
    this.lastError = outcome.kind === 'network' ? outcome.error : `HTTP ${outcome.status}`;
    if (!this.running) return; // aborted by stop()
    this.recovering = true;
    this.sizer.shrink();
    const waitMs = this.backoff.next(retryAfterMs);
    if (this.backoff.failures === 1 || this.backoff.failures % 20 === 0) {
      this.log.warn(
        { state: this.state, error: this.lastError, waitMs: Math.round(waitMs), failures: this.backoff.failures },
        'relay: batch not delivered',
      );
    }
    await this.sleep(waitMs);
  }

  private scheduleStats(delayMs: number): void {
    this.statsTimer = setTimeout(() => {
      this.refreshStats()
        .catch((err: Error) => this.running && this.log.error({ err }, 'relay: backlog stats failed'))
        .finally(() => {
          // The stats scan the outbox: on a huge backlog they run less often, never more than ~5 % of a thread.
          if (this.running) this.scheduleStats(Math.max(this.opts.statsIntervalMs, 20 * this.backlog.scanMs));
        });
    }, delayMs);
    this.statsTimer.unref();
  }

  private async refreshStats(): Promise<void> {
    this.backlog.update(await this.reader.stats());
    if (this.backlog.bytes > this.opts.quotaBytes) await this.enforceQuota();
    if (this.drops.hasPending && this.now() - this.lastDropReport > this.opts.dropReportMs) await this.queueDropReport();
  }

  /**
   * Disk quota: evict to 90 % of it (so eviction is not re-run on every record), oldest bulk
   * telemetry first, then latest-state records; never priority 0 (safety events, audit).
   */
  private async enforceQuota(): Promise<void> {
    const target = Math.floor(this.opts.quotaBytes * 0.9);
    let n = this.drops.addAll('quota', await this.store.outboxEvict(target, PRIORITY.bulk), this.now());
    const left = await this.reader.stats();
    if (left.rows.reduce((a, r) => a + r.b, 0) > target) {
      n += this.drops.addAll('quota', await this.store.outboxEvict(target, PRIORITY.state), this.now());
    }
    this.backlog.update(await this.reader.stats());
    if (n > 0) this.log.warn({ dropped: n, quotaBytes: this.opts.quotaBytes }, 'relay: outbox over quota, oldest telemetry dropped');
  }

  private async queueDropReport(): Promise<void> {
    const record = this.drops.takeReport(this.now());
    if (!record) return;
    this.lastDropReport = this.now();
    await new Promise<void>((resolve) =>
      this.store.write({ t: 'out', priority: PRIORITY.safety, kind: 'event', record, ts: this.now() }, (err) => {
        if (err) {
          this.drops.restore(record);
          this.log.error({ err }, 'relay: could not queue the drop report');
        }
        resolve();
      }),
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }
}
