import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Alarm } from '../../shared/alarms/lifecycle.js';
import type { Logger } from '../../shared/log.js';
import { SteadyClock } from '../../shared/time/steady-clock.js';
import type { StoreItem } from '../store/items.js';
import type { StoreWriter } from '../store/writer.js';
import type { DesiredHandler, DesiredState } from './downlink.js';
import { DropCounter } from './drops.js';
import type { RelayOptions } from './options.js';
import { OutboxReader } from './outbox-reader.js';
import type { Lane, ReadReply } from './reader-types.js';
import {
  initialRelayState,
  type LinkState,
  type RelayAction,
  type RelayEvent,
  type RelayState,
  type RelayStepConfig,
  relayStep,
} from './relay-step.js';
import { BacklogStats } from './stats.js';
import { CloudTransport, type SendOutcome } from './transport.js';

export type { LinkState } from './relay-step.js';

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

export interface RelayDeps {
  /** Applies the cloud's desired state (the downlink); without one, it is logged and not applied. */
  onDesired?: DesiredHandler | undefined;
  /** Merges alarms acknowledged in the cloud (the downlink); each is answered with the state here. */
  onAlarms?: ((alarms: readonly Alarm[]) => Promise<void>) | undefined;
  /** Steady time for the step's waits (retry, heartbeat); stamps use its wall clock (ADR 048). */
  clock?: SteadyClock;
}

/**
 * Store-and-forward to the cloud (ADR 020, ADR 022): the I/O driver of `relayStep` (relay-step.ts,
 * ADR 026), which decides. Batches are read in lane order (safety events and audit, latest state,
 * live telemetry, then the backlog), each lane in outbox id order, and up to `maxInFlight` of them
 * are on the wire at once. A row leaves the outbox only after the cloud's 2xx for the batch that
 * carried it (ack-then-delete, docs/design.md invariant 1); a batch that fails is resent as it was
 * (same batch id, same records), so whatever the cloud committed of it is a no-op.
 */
export class Relay {
  readonly name = 'relay';
  /** Applies the downlink; may be replaced while running (tests, the demo). */
  onDesired: DesiredHandler | undefined;
  onAlarms: RelayDeps['onAlarms'];
  readonly drops = new DropCounter();
  readonly backlog = new BacklogStats();
  private s: RelayState;
  private readonly cfg: RelayStepConfig;
  private readonly reader: OutboxReader;
  private readonly clock: SteadyClock;
  /** Steady time: what the step's waits are measured in. */
  private readonly now: () => number;
  /** The wall clock: stamps that leave (batch ids, sentAt, drop reports, dead letters) and the backlog's ages. */
  private readonly wall: () => number;
  private transport: CloudTransport | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private lastDropReport: number;
  private readonly instance = randomBytes(8).toString('hex');
  private pendingAck: Promise<void> = Promise.resolve();
  /** The next batch past the cursors, read while others are on the wire. */
  private ahead: Promise<ReadReply | undefined> | undefined;
  /** The batch the last `read` returned, launched by the step's next `launch` of source 'read'. */
  private lastRead: ReadReply | undefined;
  /** Batches on the wire or waiting for a retry, by sequence number. */
  private readonly flights = new Map<number, Flight>();
  private readonly landing = new Map<number, Promise<Landed>>();

  constructor(
    private readonly opts: RelayOptions,
    private readonly store: StoreWriter,
    dataDir: string,
    private readonly log: Logger,
    deps: RelayDeps = {},
  ) {
    this.clock = deps.clock ?? new SteadyClock();
    this.now = () => this.clock.now();
    this.wall = () => this.clock.wallNow();
    this.lastDropReport = this.now();
    this.onDesired = deps.onDesired;
    this.onAlarms = deps.onAlarms;
    this.reader = new OutboxReader(dataDir);
    this.cfg = {
      maxInFlight: Math.max(1, opts.maxInFlight ?? 2),
      lingerMs: opts.lingerMs,
      idleSyncMs: opts.idleSyncMs,
      requestTimeoutMs: opts.requestTimeoutMs,
      backoffBaseMs: opts.backoffBaseMs,
      backoffMaxMs: opts.backoffMaxMs,
      sizer: { min: opts.batchMinRecords, max: opts.batchMaxRecords, targetLatencyMs: opts.targetLatencyMs },
    };
    this.s = initialRelayState(this.cfg);
  }

  get state(): LinkState {
    return this.s.link;
  }
  /** The desired-state version applied here; the cloud answers with anything newer. */
  get desiredVersion(): number {
    return this.s.desiredVersion;
  }
  /** On the wall clock. */
  get lastSuccessTs(): number | undefined {
    return this.s.lastSuccessTs === undefined ? undefined : this.clock.toWall(this.s.lastSuccessTs);
  }
  get lastError(): string | undefined {
    return this.s.lastError;
  }
  get sentRecords(): number {
    return this.s.sentRecords;
  }
  get sentBatches(): number {
    return this.s.sentBatches;
  }
  /** The current adaptive batch size. */
  get batchTarget(): number {
    return this.s.batchTarget;
  }

  start(): void {
    this.reader.open();
    // A random id of this process in every batch: the cloud tells two running copies of one gateway apart.
    this.transport = new CloudTransport({ ...this.opts, connections: this.cfg.maxInFlight, instance: this.instance });
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
    this.s = { ...this.s, link: 'stopped' };
    await this.reader.close();
  }

  private dispatch(event: RelayEvent): RelayAction[] {
    const r = relayStep(this.s, event, this.cfg);
    this.s = r.state;
    return r.actions;
  }

  private head(): string {
    const b = this.backlog.snapshot(this.wall());
    const backlog = { records: b.records, bytes: b.bytes, oldestAgeMs: b.oldestAgeMs, dropped: this.drops.totals };
    const batchId = `b-${this.wall().toString(36)}-${randomBytes(6).toString('hex')}`;
    return `{"v":1,"batchId":"${batchId}","sentAt":${this.wall()},"desiredVersion":${this.s.desiredVersion},"backlog":${JSON.stringify(backlog)},"records":[`;
  }

  private async run(): Promise<void> {
    try {
      // Kept across restarts: the applied desired version (an old desired state is not applied
      // again) and the drop counts (totals, and what is not reported yet).
      const kept = await this.reader.relayState();
      this.dispatch({ kind: 'loaded', desiredVersion: kept.desiredVersion });
      this.drops.load(kept);
    } catch (err) {
      this.log.error({ err }, 'relay: could not read its kept state; starting from version 0');
    }
    while (this.running) {
      try {
        await this.round();
      } catch (err) {
        // A local failure (reader thread, store) must not end the relay: log, back off, go on.
        if (!this.running) break;
        this.log.error({ err }, 'relay: local error, retrying');
        await this.perform(this.dispatch({ kind: 'local_error', message: (err as Error).message, random: Math.random() }));
      }
    }
    await Promise.all(this.landing.values()); // aborted by stop(): they land at once
  }

  /** One round: fill the window, then wait for a batch to land (and handle it) or for more records. */
  private async round(): Promise<void> {
    this.forgetSettled();
    let actions = this.dispatch({ kind: 'round', now: this.now() });
    while (actions.length > 0) {
      const next = await this.perform(actions);
      if (!next) return;
      actions = this.dispatch(next);
    }
  }

  /** Runs the step's actions in order; returns the event that answers the last one, if any. */
  private async perform(actions: RelayAction[]): Promise<RelayEvent | undefined> {
    let next: RelayEvent | undefined;
    for (const a of actions) {
      switch (a.kind) {
        case 'launch':
          if (a.source === 'retry' && !this.running) return undefined;
          this.launch(a.seq, a.source);
          break;
        case 'read_ahead':
          this.ahead = this.read(a.lanes, a.limit).catch(() => undefined);
          break;
        case 'read': {
          if (!this.running) return undefined;
          const batch = (await this.ahead) ?? (await this.read(a.lanes, a.limit));
          this.ahead = undefined;
          this.lastRead = batch;
          const result = { count: batch.count, waitMs: batch.waitMs, laneLast: batch.laneLast, ready: !!(batch.body && batch.ids) };
          next = { kind: 'read', result, now: this.now() };
          break;
        }
        case 'reset_lanes': {
          if (!this.running) return undefined;
          this.ahead = undefined;
          await this.pendingAck;
          if (a.quota) await this.enforceQuota();
          const lastId = a.lastId ? await this.reader.lastId() : undefined;
          next = { kind: 'lanes_reset', lastId, now: this.now() };
          break;
        }
        case 'wait': {
          if (!this.running) return undefined;
          const landed = await this.waitFor(a.ms, a.landing);
          if (!landed) return undefined;
          this.landing.delete(landed.flight.seq);
          if (landed.outcome.kind !== 'ok' && landed.outcome.kind !== 'rejected' && !this.running) return undefined; // aborted by stop()
          const { flight, outcome, latencyMs } = landed;
          next = {
            kind: 'landed',
            seq: flight.seq,
            records: flight.ids.length,
            outcome,
            latencyMs,
            now: this.now(),
            random: Math.random(),
          };
          break;
        }
        case 'ack':
          this.ack(a.seq);
          break;
        case 'apply_desired':
          await this.applyDesired(a.desired);
          break;
        case 'apply_alarms':
          // Not kept as a version: the cloud resends until the gateway's answer reaches it.
          await this.onAlarms?.(a.alarms).catch((err: Error) => this.log.error({ err }, 'relay: applying alarms from the cloud failed'));
          break;
        case 'dead_letter':
          await this.deadLetter(a.seq, a.status, a.code);
          break;
        case 'report_drops':
          if (this.drops.hasPending) await this.queueDropReport();
          break;
        case 'wake':
          this.wake?.();
          break;
        case 'log':
          this.log[a.level](a.data, a.msg);
          break;
      }
    }
    return next;
  }

  private read(lanes: Lane[], limit: number): Promise<ReadReply> {
    return this.reader.read(lanes, limit, this.opts.batchMaxBytes, this.opts.lingerMs, this.head());
  }

  private launch(seq: number, source: 'read' | 'heartbeat' | 'retry'): void {
    let flight = this.flights.get(seq);
    if (!flight) {
      const batch = source === 'read' ? this.lastRead : undefined;
      flight =
        batch?.ids && batch.body
          ? { seq, ids: batch.ids, body: batch.body }
          : { seq, ids: new Float64Array(0), body: gzipSync(`${this.head()}]}`) };
      this.flights.set(seq, flight);
    }
    const f = flight;
    const started = performance.now();
    const sending = (this.transport as CloudTransport).send(f.body, this.wall).then(
      (outcome): Landed => ({ flight: f, outcome, latencyMs: performance.now() - started }),
      (err: Error): Landed => ({ flight: f, outcome: { kind: 'network', error: err.message }, latencyMs: performance.now() - started }),
    );
    this.landing.set(seq, sending);
  }

  /** Drops the bytes of batches that are neither on the wire nor waiting for a retry. */
  private forgetSettled(): void {
    for (const seq of this.flights.keys()) {
      if (!this.s.inflight.includes(seq) && !this.s.retry.includes(seq)) this.flights.delete(seq);
    }
  }

  private ack(seq: number): void {
    const ids = [...(this.flights.get(seq)?.ids ?? [])];
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
    this.backlog.onSent(ids.length, this.wall());
  }

  private async applyDesired(desired: DesiredState): Promise<void> {
    if (!this.onDesired) {
      this.log.info({ version: desired.version, devices: desired.devices.length }, 'relay: desired state received, no handler');
      return;
    }
    try {
      await this.onDesired(desired);
      // Committed after the cooks the apply wrote (same writer queue), so a restart never skips them.
      await this.keep({ t: 'relay', desiredVersion: desired.version }).catch((err: Error) =>
        this.log.error({ err }, 'relay: could not keep the applied desired version'),
      );
      this.dispatch({ kind: 'desired_applied', version: desired.version });
    } catch (err) {
      this.log.error({ err, version: desired.version }, 'relay: applying the desired state failed; the cloud will resend it');
    }
  }

  /** A single record the cloud will never take: kept in dead letters (with the cloud's code), its drop counted. */
  private async deadLetter(seq: number, status: number, code: string): Promise<void> {
    const flight = this.flights.get(seq);
    const records = flight
      ? (JSON.parse(gunzipSync(flight.body).toString('utf8')) as { records: { kind: string; deviceId?: string | null }[] }).records
      : [];
    const record = records[0];
    if (!flight || records.length !== 1 || !record) {
      // The step dead-letters only a batch of one record; anything else is a bug, never a reason to drop rows.
      this.log.error({ status, records: records.length }, 'relay: dead letter asked for a batch that is not one record; nothing dropped');
      return;
    }
    const ids = [...flight.ids];
    const payload = Buffer.from(JSON.stringify(record));
    const reason = `rejected:${record.kind}`;
    const dlq = this.keep({
      t: 'dlq',
      deviceId: record.deviceId ?? null,
      topic: 'relay/outbox',
      code,
      reason: this.s.lastError ?? '',
      payload,
      rxTs: this.wall(),
    });
    // The row leaves the outbox with its drop counted, in one commit (right after the dead letter).
    await Promise.all([dlq, this.keep({ t: 'relay', dropped: { [reason]: 1 }, ack: ids })]);
    this.drops.add(reason, 1, this.wall());
    this.log.error({ status, code, kind: record.kind }, 'relay: record refused by the cloud, kept in dead letters');
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
    // Evicted by the send loop once no batch is on the wire.
    if (this.backlog.bytes > this.opts.quotaBytes) await this.perform(this.dispatch({ kind: 'over_quota' }));
    if (this.drops.hasPending && this.now() - this.lastDropReport > this.opts.dropReportMs) await this.queueDropReport();
  }

  /**
   * Disk quota: evict to 90 % of it (so eviction is not re-run on every record). Only telemetry
   * and device status are ever evicted (the writer's `outbox_evict`): first every status record a
   * newer one of its kit supersedes, then the oldest telemetry, then the kits' latest status;
   * never a cook record, an event, audit or anything else. Runs with no batch on the wire or kept
   * for a retry, so an evicted record is never delivered as well.
   */
  private async enforceQuota(): Promise<void> {
    const target = Math.floor(this.opts.quotaBytes * 0.9);
    // Counted in the store in the same commit as the deletes; mirrored here.
    const evicted = await this.store.outboxEvict(target, 'quota');
    const n = this.drops.addAll('quota', evicted, this.wall());
    this.backlog.update(await this.reader.stats());
    if (n > 0)
      this.log.warn(
        { evicted, quotaBytes: this.opts.quotaBytes },
        'relay: outbox over quota, evicted superseded status and oldest telemetry',
      );
  }

  /** Queues the pending drop counts as one `relay_drop` event; the same commit marks them reported. */
  private async queueDropReport(): Promise<void> {
    const record = this.drops.takeReport(this.wall());
    if (!record) return;
    this.lastDropReport = this.now();
    const dropped = (JSON.parse(record) as { data: { dropped: Record<string, number> } }).data.dropped;
    try {
      await this.keep({ t: 'relay', report: { record, ts: this.wall(), dropped } });
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
      if (landing) void Promise.race(this.landing.values()).then(finish);
    });
  }
}
