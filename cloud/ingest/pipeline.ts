import type { Logger } from 'pino';
import type { Alarm } from '../../shared/alarms/lifecycle.js';
import { SvError } from '../../shared/errors.js';
import { MAX_DOWN_ALARMS, type RelayBatch, type RelayReply } from '../../shared/relay/batch.js';
import type { CloudMetrics, SinkName } from '../metrics.js';
import type { DeadLetter, MetaIngestResult, Stores, TelemetryDrops } from '../stores/types.js';
import { DeviceOwnership, withoutRefused } from './ownership.js';
import { DeviceSightings } from './sightings.js';
import { splitBatch } from './split.js';

export interface PipelineOptions {
  sinkTimeoutMs: number;
  /** How long a device's owner is cached per instance (0: ask the meta store every batch). */
  ownershipCacheMs?: number;
  /** A device's last-seen time goes to the meta store at most this often (sightings.ts; 0: every batch). */
  lastSeenEveryMs?: number;
}

/** The gateway a batch comes from, as its token says. */
export interface Sender {
  id: string;
  orgId: string;
  /** The highest cook target the gateway accepts, when it said (X-Sousvide-Max-Target-C). */
  maxTargetC?: number | undefined;
  /** When the gateway sent this attempt of the batch, on its clock (X-Sousvide-Sent-At), when it said. */
  sentAt?: number | undefined;
}

/**
 * One batch into every sink, in parallel, each bounded by `sinkTimeoutMs`. The answer is a reply
 * only when every sink committed; otherwise SV_ERR_SINK_UNAVAILABLE (503 + Retry-After) naming
 * each failed sink. A sink that committed while another failed is harmless: every write is
 * idempotent, so the gateway's retry of the whole batch converges (docs/design.md invariants 1, 2).
 */
export class IngestPipeline {
  readonly ownership: DeviceOwnership;
  private readonly sightings: DeviceSightings;
  /**
   * Told of each batch once every sink committed, with the alarms it changed as merged here (the
   * live stream, cloud/stream/); must return at once.
   */
  committed: ((sender: Sender, batch: RelayBatch, alarms: readonly Alarm[]) => void) | undefined;
  constructor(
    private readonly stores: Stores,
    private readonly metrics: CloudMetrics,
    private readonly opts: PipelineOptions,
    private readonly log: Logger,
  ) {
    this.ownership = new DeviceOwnership(stores.meta, opts.ownershipCacheMs ?? 0);
    this.sightings = new DeviceSightings(opts.lastSeenEveryMs ?? 0);
  }

  /**
   * `positions`: the index in the received batch of each of `received.records` (parseBatch drops
   * invalid records). Records of devices the sender does not own are dead-lettered, counted and
   * audited; the rest of the batch is written as usual.
   */
  async ingest(
    sender: Sender,
    received: RelayBatch,
    nowMs: number,
    invalid: readonly DeadLetter[] = [],
    positions: readonly number[] = received.records.map((_, i) => i),
  ): Promise<RelayReply> {
    const started = performance.now();
    const gatewayId = sender.id;
    const { registry } = splitBatch(received);
    let refusedIds: Awaited<ReturnType<DeviceOwnership['refused']>>;
    try {
      refusedIds = await withTimeout(this.ownership.refused(gatewayId, sender.orgId, registry, received, nowMs), this.opts.sinkTimeoutMs);
    } catch (err) {
      throw new SvError('SV_ERR_SINK_UNAVAILABLE', 'device ownership unavailable; retry the batch', [`mysql: ${(err as Error).message}`]);
    }
    const foreign = withoutRefused(received, positions, refusedIds, gatewayId, sender.orgId, nowMs);
    const epochs = refusedIds.epochs;
    const batch = foreign.batch;
    const rejected = [...invalid, ...foreign.deadLetters].sort((a, b) => a.index - b.index);
    if (foreign.deadLetters.length > 0) {
      for (const [reason, n] of foreign.counts) this.metrics.foreignDevice.inc({ reason }, n);
      this.log.warn(
        { gatewayId, batchId: batch.batchId, devices: [...refusedIds.refused.keys()].slice(0, 20), records: foreign.deadLetters.length },
        'records for devices this gateway does not own refused',
      );
    }
    const { telemetry, status, meta: split } = splitBatch(batch);
    const meta = {
      ...split,
      devices: this.sightings.due(gatewayId, split.devices),
      deadLetters: rejected,
      cloudAudit: foreign.audit,
      // A kit moved away from this gateway: its cooks from before the move are history, not a desired cook to take back.
      notAdopted: new Set([...refusedIds.refused].filter(([, reason]) => reason === 'foreign').map(([id]) => id)),
      ...(sender.maxTargetC !== undefined ? { maxTargetC: sender.maxTargetC } : {}),
      ...(sender.sentAt !== undefined ? { sentAt: sender.sentAt } : {}),
    };
    const metaCount = batch.records.length - telemetry.length - status.length + rejected.length;
    const jobs: [SinkName, string, number, () => Promise<unknown>][] = [
      [
        'redis',
        this.stores.state.backend,
        telemetry.length + status.length,
        () => this.stores.state.apply(gatewayId, sender.orgId, telemetry, status, nowMs, epochs),
      ],
      ['mysql', this.stores.meta.backend, metaCount, () => this.stores.meta.ingest(gatewayId, sender.orgId, meta, nowMs)],
    ];
    if (telemetry.length > 0) {
      jobs.unshift(['influx', this.stores.telemetry.backend, telemetry.length, () => this.stores.telemetry.write(gatewayId, telemetry)]);
    }
    const outcomes = await Promise.all(jobs.map(([sink, backend, count, run]) => this.runSink(sink, backend, count, run)));
    const failures = outcomes.filter((o): o is string => typeof o === 'string');
    if (failures.length > 0) {
      this.metrics.batchSeconds.observe({ outcome: 'fail' }, (performance.now() - started) / 1000);
      this.log.warn({ gatewayId, batchId: batch.batchId, failures }, 'batch not committed');
      throw new SvError('SV_ERR_SINK_UNAVAILABLE', 'a storage sink failed or was too slow; retry the whole batch', failures);
    }
    const metaResult = outcomes[jobs.findIndex(([s]) => s === 'mysql')] as MetaIngestResult;
    const influxResult = outcomes[jobs.findIndex(([s]) => s === 'influx')];
    if (typeof influxResult === 'object' && influxResult !== null) this.dropped(sender, batch.batchId, influxResult as TelemetryDrops);
    this.sightings.wrote(gatewayId, meta.devices);
    let desired: RelayReply['desired'];
    let alarms: Alarm[];
    try {
      [desired, alarms] = await withTimeout(
        Promise.all([
          this.stores.meta.desiredFor(gatewayId, batch.desiredVersion),
          this.stores.meta.alarmsDown(gatewayId, MAX_DOWN_ALARMS),
        ]),
        this.opts.sinkTimeoutMs,
      );
    } catch (err) {
      throw new SvError('SV_ERR_SINK_UNAVAILABLE', 'desired state unavailable; retry the batch', [`mysql: ${(err as Error).message}`]);
    }
    this.committed?.(sender, batch, metaResult.alarms);
    this.metrics.pipelineSuccess.inc(batch.records.length);
    this.metrics.batchSeconds.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
    const committedAt = Date.now();
    for (const t of telemetry) this.metrics.visibleSeconds.observe(Math.max(0, committedAt - t.rxTs) / 1000);
    return {
      ok: true,
      batchId: batch.batchId,
      accepted: batch.records.length - metaResult.duplicates,
      duplicates: metaResult.duplicates,
      ...(rejected.length > 0 ? { rejected: rejected.map(({ index, reasons }) => ({ index, reasons: [...reasons] })) } : {}),
      desired,
      // Acknowledgements made in the cloud, until the gateway confirms them (docs/sync.md).
      ...(alarms.length > 0 ? { alarms } : {}),
    };
  }

  /**
   * Readings the telemetry store refused while it kept the rest (InfluxDB's 400 partial write):
   * the batch is committed (a retry would be refused the same way and hold the gateway's outbox
   * forever); they are counted by reason and logged by (device, boot, seq), ids and Influx's words only.
   */
  private dropped(sender: Sender, batchId: string, d: TelemetryDrops): void {
    this.metrics.telemetryDropped.inc({ reason: d.reason }, d.dropped);
    this.log.warn(
      {
        gatewayId: sender.id,
        orgId: sender.orgId,
        batchId,
        reason: d.reason,
        dropped: d.dropped,
        influx: d.message,
        records: d.records.slice(0, 50).map((r) => `${r.deviceId}/${r.boot}/${r.seq}`),
      },
      'readings refused by the telemetry store; the rest of the batch is committed',
    );
  }

  /** Resolves to the sink's result, or to a `sink: reason` string on failure or timeout. */
  private async runSink(sink: SinkName, backend: string, count: number, run: () => Promise<unknown>): Promise<unknown> {
    const started = performance.now();
    try {
      const result = await withTimeout(run(), this.opts.sinkTimeoutMs);
      this.metrics.ok[sink].inc(count);
      this.metrics.sinkSeconds.observe({ sink, backend, outcome: 'ok' }, (performance.now() - started) / 1000);
      return result ?? true;
    } catch (err) {
      this.metrics.fail[sink].inc(count);
      this.metrics.sinkSeconds.observe({ sink, backend, outcome: 'fail' }, (performance.now() - started) / 1000);
      return `${sink}: ${(err as Error).message}`;
    }
  }
}

export class TimeoutError extends Error {}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`no commit within ${ms} ms`)), ms);
  });
  p.catch(() => {}); // a late failure after the timeout is already counted
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
