import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type SinkName = 'influx' | 'redis' | 'mysql';

/**
 * Ingest metrics, named after the design (recv/parse/influx/redis/mysql _ok/_fail _total),
 * counted in records; a latency histogram per sink and per batch. One registry per app instance
 * (tests run several in one process).
 */
export class CloudMetrics {
  readonly registry = new Registry();
  readonly recv: Counter;
  readonly parseOk: Counter;
  readonly parseFail: Counter;
  readonly ok: Record<SinkName, Counter>;
  readonly fail: Record<SinkName, Counter>;
  readonly pipelineSuccess: Counter;
  readonly foreignDevice: Counter<'reason'>;
  readonly telemetryDropped: Counter<'reason'>;
  readonly tokenShared: Counter;
  readonly inFlightRefused: Counter<'limit'>;
  readonly orgLimitRefused: Counter<'limit'>;
  private inFlightNow: () => number = () => 0;
  readonly sinkSeconds: Histogram<'sink' | 'backend' | 'outcome'>;
  readonly batchSeconds: Histogram<'outcome'>;
  readonly visibleSeconds: Histogram;

  constructor() {
    const r = [this.registry];
    const counter = (name: string, help: string) => new Counter({ name, help, registers: r });
    this.recv = counter('recv_total', 'Records received in ingest batches (before parsing).');
    this.parseOk = counter('parse_ok_total', 'Records in batches that passed validation.');
    this.parseFail = counter('parse_fail_total', 'Batches rejected by validation (4xx).');
    this.ok = {
      influx: counter('influx_ok_total', 'Telemetry records committed by the telemetry sink.'),
      redis: counter('redis_ok_total', 'Records applied by the state sink.'),
      mysql: counter('mysql_ok_total', 'Records committed by the meta sink.'),
    };
    this.fail = {
      influx: counter('influx_fail_total', 'Telemetry records the telemetry sink failed (or was too slow) to commit.'),
      redis: counter('redis_fail_total', 'Records the state sink failed to apply.'),
      mysql: counter('mysql_fail_total', 'Records the meta sink failed to commit.'),
    };
    this.pipelineSuccess = counter('pipeline_success_total', 'Records of batches answered 2xx (every sink committed).');
    this.tokenShared = counter(
      'gateway_token_shared_total',
      'Gateway tokens seen in use by two running gateways (a copied data dir), once a day each.',
    );
    this.foreignDevice = new Counter({
      name: 'ingest_foreign_device_total',
      help: 'Records refused because their device belongs to another gateway (reason foreign) or was revoked by its own (reason revoked); dead-lettered and audited.',
      labelNames: ['reason'],
      registers: r,
    });
    this.telemetryDropped = new Counter({
      name: 'ingest_telemetry_dropped_total',
      help: 'Readings the telemetry store refused while it kept the rest of their batch (InfluxDB 400 partial write; reason retention or field_type: refusals no retry changes); the batch is answered 200 and they are logged by device, boot and seq.',
      labelNames: ['reason'],
      registers: r,
    });
    this.inFlightRefused = new Counter({
      name: 'ingest_in_flight_refused_total',
      help: 'Ingest requests answered 429 because their gateway or org had as many open as ingest.maxInFlightPerGateway or ingest.maxInFlightPerOrg allow (label limit: that key).',
      labelNames: ['limit'],
      registers: r,
    });
    this.orgLimitRefused = new Counter({
      name: 'org_limit_refused_total',
      help: 'Creations answered 409 SV_ERR_ORG_LIMIT because the org had as many of that kind as its cap allows (label limit: the config key, e.g. org.maxGateways).',
      labelNames: ['limit'],
      registers: r,
    });
    const self = this;
    new Gauge({
      name: 'ingest_in_flight',
      help: 'Ingest requests open on this instance now (token verified, answer not yet written).',
      registers: r,
      collect() {
        this.set(self.inFlightNow());
      },
    });
    const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    this.sinkSeconds = new Histogram({
      name: 'sink_duration_seconds',
      help: 'Time one sink took for one batch.',
      labelNames: ['sink', 'backend', 'outcome'],
      buckets,
      registers: r,
    });
    this.batchSeconds = new Histogram({
      name: 'ingest_batch_duration_seconds',
      help: 'Time from a parsed batch to its answer.',
      labelNames: ['outcome'],
      buckets,
      registers: r,
    });
    this.visibleSeconds = new Histogram({
      name: 'telemetry_visible_seconds',
      help: 'From the gateway receiving a reading (its rxTs) to every sink having committed it here: the relay leg of publish → visible in the cloud. Gateway and cloud clocks (NTP); a backlog drained after an outage shows up as its age.',
      buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300, 3600],
      registers: r,
    });
  }

  /** Where the ingest_in_flight gauge reads its value (the ingest route's count). */
  onInFlight(count: () => number): void {
    this.inFlightNow = count;
  }
}
