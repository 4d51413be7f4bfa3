import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Logger } from '../../shared/log.js';
import { PRIORITY, type StoreItem } from '../store/items.js';
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

/** A batch on its way: kept, bytes and all, until the cloud's 2xx, so a failure resends it unchanged. */
interface Flight {
  seq: number;
  ids: Float64Array;
  body: Uint8Array;
}
interface Landed {
  flight: Flight;
  outcome: SendOutcome;
  latencyMs: number;
}

/**
 * Store-and-forward to the cloud (ADR 020, ADR 022). Batches are read in lane order (safety events
 * and audit, latest state, live telemetry, then the backlog), each lane in outbox id order, and up
 * to `maxInFlight` of them are on the wire at once. A row leaves the outbox only after the cloud's
 * 2xx for the batch that carried it (ack-then-delete, DESIGN.md invariant 1); a batch that fails is
 * resent as it was (same batch id, same records), so whatever the cloud committed of it is a no-op.
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
  private readonly maxInFlight: number;
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
   * Per lane, the last outbox id already read into a batch: the next read starts after it. Batches
   * in flight or waiting for a retry hold the rows below; the cursors go back to the start of the
   * lanes only when none is left (`reset`).
   */
  private cursors: number[] = [];
  private pendingAck: Promise<void> = Promise.resolve();
  /** The next batch past the cursors, read while others are on the wire. */
  private ahead: Promise<ReadReply | undefined> | undefined;
  private readonly inflight = new Map<number, Promise<Landed>>();
  /** Batches that failed, in send order, resent unchanged once `retryAt` has passed. */
  private retry: Flight[] = [];
  private retryAt = 0;
  /**
   * Changes that wait until no batch is on the wire, then read again from the start of the lanes:
   * 'lanes' after the first success following an outage (a new split between live and backlog);
   * 'bisect' after a batch the cloud refused whole (re-read in halves); 'quota' when the outbox is
   * over its quota (evict, so that no evicted row is on the wire or waiting for a retry).
   */
  private readonly reset = new Set<'lanes' | 'bisect' | 'quota'>();
  private nextSeq = 1;

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
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 2);
  }

  start(): void {
    this.reader.open();
    this.transport = new CloudTransport({ ...this.opts, connections: this.maxInFlight });
    this.running = true;
    this.loop = this.run().catch((err: Error) => this.log.error({ err }, 'relay loop failed'));
    this.scheduleStats(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.statsTimer);
    this.wake?.();
    // Abort the batches in flight rather than wait up to the request timeout: their rows stay in the
    // outbox and go again after the restart (a no-op if the cloud had committed them).
    await this.transport?.close();
    await this.loop;
    await this.pendingAck;
    await this.queueDropReport(); // counts survive a clean stop; the store closes after the relay
    this.state = 'stopped';
    await this.reader.close();
  }

  /** One batch on the wire while recovering or isolating a refused record; `maxInFlight` otherwise. */
  private window(): number {
    return this.recovering || this.bisect !== undefined ? 1 : this.maxInFlight;
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
    try {
      // Kept across restarts: the applied desired version (an old desired state is not applied
      // again) and the drop counts (totals, and what is not reported yet).
      const kept = await this.reader.relayState();
      this.desiredVersion = kept.desiredVersion;
      this.drops.load(kept);
    } catch (err) {
      this.log.error({ err }, 'relay: could not read its kept state; starting from version 0');
    }
    while (this.running) {
      try {
        await this.step();
      } catch (err) {
        // A local failure (reader thread, store) must not end the relay: log, back off, go on.
        if (!this.running) break;
        this.lastError = (err as Error).message;
        this.log.error({ err }, 'relay: local error, retrying');
        await this.waitFor(this.backoff.next());
      }
    }
    await Promise.all(this.inflight.values()); // aborted by stop(): they land at once
  }

  /** Fills the window (retries first, in order), then waits for a batch to land or for more records. */
  private async step(): Promise<void> {
    // A full window waits for a batch to land (at most the request timeout); otherwise for more records.
    let waitMs = this.inflight.size >= this.window() ? this.opts.requestTimeoutMs : this.opts.lingerMs;
    while (this.running && this.inflight.size < this.window()) {
      const dropRetries = this.reset.has('bisect') || this.reset.has('quota');
      if (this.retry.length > 0 && !dropRetries) {
        const wait = this.retryAt - this.now();
        if (wait > 0) {
          waitMs = wait;
          break;
        }
        this.launch(this.retry.shift() as Flight);
        continue;
      }
      if (this.reset.size > 0) {
        if (this.inflight.size > 0) break; // the lanes change once nothing read under the old ones is on the wire
        await this.resetLanes();
      }
      if (this.retryAt > this.now()) {
        waitMs = this.retryAt - this.now();
        break;
      }
      const next = await this.nextBatch();
      if (typeof next === 'number') {
        waitMs = next;
        break;
      }
      this.launch(next);
    }
    if (!this.running) return;
    const landed = await this.waitFor(waitMs, this.inflight.size > 0);
    if (!landed) return;
    this.inflight.delete(landed.flight.seq);
    const { outcome, flight, latencyMs } = landed;
    if (outcome.kind === 'ok') await this.onDelivered(outcome, flight, latencyMs);
    else if (outcome.kind === 'rejected') await this.onRejected(outcome, flight);
    else await this.onFailure(outcome, flight);
  }

  /** The next batch past the cursors, or how long to wait before asking again. */
  private async nextBatch(): Promise<Flight | number> {
    const limit = Math.min(this.bisect ?? this.sizer.current, this.sizer.current);
    const batch = (await this.ahead) ?? (await this.read(limit));
    this.ahead = undefined;
    if (batch.body && batch.ids && batch.waitMs === 0) {
      this.cursors = batch.laneLast;
      // Read the one after it while this one is on the wire (not while isolating a refused record).
      if (this.bisect === undefined) this.ahead = this.read(limit).catch(() => undefined);
      return { seq: this.nextSeq++, ids: batch.ids, body: batch.body };
    }
    if (batch.count === 0 && this.inflight.size === 0 && this.now() - this.lastAttemptTs >= this.opts.idleSyncMs) {
      // Nothing queued: an empty batch still goes now and then, as the heartbeat and for the downlink.
      return { seq: this.nextSeq++, ids: new Float64Array(0), body: gzipSync(`${this.head()}]}`) };
    }
    return Math.min(batch.waitMs || this.opts.lingerMs, this.opts.lingerMs);
  }

  private read(limit: number): Promise<ReadReply> {
    return this.reader.read(this.lanes(), limit, this.opts.batchMaxBytes, this.opts.lingerMs, this.head());
  }

  /** Nothing on the wire: apply the pending changes, then read again from the start of each lane. */
  private async resetLanes(): Promise<void> {
    if (this.reset.has('bisect') || this.reset.has('quota')) this.retry = []; // their rows are read again with the rest
    this.ahead = undefined;
    await this.pendingAck;
    if (this.reset.has('quota')) await this.enforceQuota();
    if (this.reset.has('lanes')) {
      // Back after an outage (or a restart): what is queued now is backlog; newer telemetry is live and goes first.
      this.split = Math.max(this.split, await this.reader.lastId());
      this.recovering = false;
    }
    this.cursors = [];
    this.reset.clear();
  }

  private launch(flight: Flight): void {
    this.lastAttemptTs = this.now();
    const started = performance.now();
    const sending = (this.transport as CloudTransport).send(flight.body, this.now).then(
      (outcome): Landed => ({ flight, outcome, latencyMs: performance.now() - started }),
      (err: Error): Landed => ({ flight, outcome: { kind: 'network', error: err.message }, latencyMs: performance.now() - started }),
    );
    this.inflight.set(flight.seq, sending);
  }

  private async onDelivered(outcome: Extract<SendOutcome, { kind: 'ok' }>, flight: Flight, latencyMs: number) {
    const ids = [...flight.ids];
    // Ack-then-delete: the delete runs on the writer thread while the next batches go (the cursors
    // keep these rows out of them); deletes stay in order.
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
    this.retryAt = 0;
    if (!this.reset.has('bisect')) this.bisect = undefined; // (a batch read before the refused one says nothing about it)
    this.lastSuccessTs = now;
    if (this.state !== 'up') this.log.info({ afterFailures: this.backoff.failures }, 'relay: cloud link up');
    this.state = 'up';
    if (this.recovering) this.reset.add('lanes');
    if (outcome.invalidReply) this.log.warn({ reason: outcome.invalidReply }, 'relay: 2xx with an invalid reply (batch delivered)');
    const desired = outcome.reply?.desired;
    if (desired && desired.version > this.desiredVersion) {
      if (!this.onDesired) {
        this.log.info({ version: desired.version, devices: desired.devices.length }, 'relay: desired state received, no handler');
      } else {
        try {
          await this.onDesired(desired);
          // Committed after the cooks the apply wrote (same writer queue), so a restart never skips them.
          await this.keep({ t: 'relay', desiredVersion: desired.version }).catch((err: Error) =>
            this.log.error({ err }, 'relay: could not keep the applied desired version'),
          );
          this.desiredVersion = Math.max(this.desiredVersion, desired.version);
        } catch (err) {
          this.log.error({ err, version: desired.version }, 'relay: applying the desired state failed; the cloud will resend it');
        }
      }
    }
    if (this.drops.hasPending) await this.queueDropReport();
  }

  /** A batch the cloud will never take: halve until one record is isolated, then dead-letter it. */
  private async onRejected(outcome: Extract<SendOutcome, { kind: 'rejected' }>, flight: Flight) {
    const ids = [...flight.ids];
    this.lastError = `HTTP ${outcome.status}: ${outcome.detail.slice(0, 200)}`;
    if (outcome.status === 413) this.sizer.shrink(); // too big for the cloud: stay smaller from now on
    if (ids.length > 1) {
      this.bisect = Math.max(1, Math.floor(ids.length / 2));
      this.reset.add('bisect');
      return;
    }
    const text = gunzipSync(flight.body).toString('utf8');
    const record = (JSON.parse(text) as { records: { kind: string; deviceId?: string | null }[] }).records[0];
    const payload = Buffer.from(JSON.stringify(record));
    const reason = `rejected:${record?.kind ?? 'unknown'}`;
    const dlq = this.keep({
      t: 'dlq',
      deviceId: record?.deviceId ?? null,
      topic: 'relay/outbox',
      code: 'SV_ERR_PAYLOAD_INVALID',
      reason: this.lastError ?? '',
      payload,
      rxTs: this.now(),
    });
    // The row leaves the outbox with its drop counted, in one commit (right after the dead letter).
    await Promise.all([dlq, this.keep({ t: 'relay', dropped: { [reason]: 1 }, ack: ids })]);
    this.drops.add(reason, 1, this.now());
    this.bisect = undefined;
    this.log.error({ status: outcome.status, kind: record?.kind }, 'relay: record refused by the cloud, kept in dead letters');
  }

  private async onFailure(outcome: Exclude<SendOutcome, { kind: 'ok' | 'rejected' }>, flight: Flight) {
    if (!this.running) return; // aborted by stop()
    const retryAfterMs = outcome.kind === 'busy' ? outcome.retryAfterMs : undefined;
    const throttled = outcome.kind === 'busy' && (outcome.status === 429 || outcome.status === 503);
    this.state = outcome.kind === 'unauthorized' ? 'unauthorized' : throttled ? 'throttled' : 'retrying';
    this.lastError = outcome.kind === 'network' ? outcome.error : `HTTP ${outcome.status}`;
    this.recovering = true;
    this.reset.delete('lanes'); // the split is taken at the next success
    this.sizer.shrink();
    if (flight.ids.length > 0 && !this.reset.has('bisect')) {
      // Resent unchanged, in send order: the same batch id and records, so whatever the cloud committed is a no-op.
      this.retry.push(flight);
      this.retry.sort((a, b) => a.seq - b.seq);
    }
    const waitMs = this.backoff.next(retryAfterMs);
    this.retryAt = Math.max(this.retryAt, this.now() + waitMs);
    if (this.backoff.failures === 1 || this.backoff.failures % 20 === 0) {
      this.log.warn(
        { state: this.state, error: this.lastError, waitMs: Math.round(waitMs), failures: this.backoff.failures },
        'relay: batch not delivered',
      );
    }
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
    if (this.backlog.bytes > this.opts.quotaBytes && !this.reset.has('quota')) {
      this.reset.add('quota'); // evicted by the send loop once no batch is on the wire
      this.wake?.();
    }
    if (this.drops.hasPending && this.now() - this.lastDropReport > this.opts.dropReportMs) await this.queueDropReport();
  }

  /**
   * Disk quota: evict to 90 % of it (so eviction is not re-run on every record), oldest bulk
   * telemetry first, then latest-state records; never priority 0 (safety events, audit). Runs with
   * no batch on the wire or kept for a retry, so an evicted record is never delivered as well.
   */
  private async enforceQuota(): Promise<void> {
    const target = Math.floor(this.opts.quotaBytes * 0.9);
    // Counted in the store in the same commit as the deletes; mirrored here.
    let n = this.drops.addAll('quota', await this.store.outboxEvict(target, PRIORITY.bulk, 'quota'), this.now());
    const left = await this.reader.stats();
    if (left.rows.reduce((a, r) => a + r.b, 0) > target) {
      n += this.drops.addAll('quota', await this.store.outboxEvict(target, PRIORITY.state, 'quota'), this.now());
    }
    this.backlog.update(await this.reader.stats());
    if (n > 0) this.log.warn({ dropped: n, quotaBytes: this.opts.quotaBytes }, 'relay: outbox over quota, oldest telemetry dropped');
  }

  /** Queues the pending drop counts as one `relay_drop` event; the same commit marks them reported. */
  private async queueDropReport(): Promise<void> {
    const record = this.drops.takeReport(this.now());
    if (!record) return;
    this.lastDropReport = this.now();
    const dropped = (JSON.parse(record) as { data: { dropped: Record<string, number> } }).data.dropped;
    try {
      await this.keep({ t: 'relay', report: { record, ts: this.now(), dropped } });
    } catch (err) {
      this.drops.restore(record);
      this.log.error({ err }, 'relay: could not queue the drop report');
    }
  }

  private keep(item: StoreItem): Promise<void> {
    return new Promise((resolve, reject) => this.store.write(item, (err) => (err ? reject(err) : resolve())));
  }

  /**
   * Waits `ms`, or less: until a batch in flight lands (when `landing`), or stop() is called.
   * Resolves to the batch that landed first (in send order when several have), else undefined.
   */
  private waitFor(ms: number, landing = false): Promise<Landed | undefined> {
    return new Promise((resolve) => {
      const finish = (landed: Landed | undefined) => {
        clearTimeout(timer);
        if (this.wake === wake) this.wake = undefined;
        resolve(landed);
      };
      const wake = () => finish(undefined);
      const timer = setTimeout(wake, ms);
      this.wake = wake;
      if (landing) void Promise.race(this.inflight.values()).then(finish);
    });
  }
}
