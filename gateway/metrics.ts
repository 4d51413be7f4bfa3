import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerDefaultMetrics } from './metrics-defaults.js';
import { COUNTERS, type CounterName, type Stats } from './stats.js';

/**
 * Prometheus view of the gateway: every Stats counter (with its labels), PUBACK latency and
 * store commit histograms, event-loop lag, connection gauges, Node's default metrics.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly pubackLatency: Histogram;
  readonly commitItems: Histogram;
  readonly commitLatency: Histogram;
  readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(stats: Stats, gauges: { connections: () => number; clients: () => number; storeQueue: () => number }) {
    const r = this.registry;
    for (const name of Object.keys(COUNTERS) as CounterName[]) {
      new Counter({
        name: `${name}_total`,
        help: COUNTERS[name],
        labelNames: ['reason'],
        registers: [r],
        collect() {
          this.reset();
          const labelled = stats.labelled.get(name);
          if (labelled) for (const [reason, v] of labelled) this.inc({ reason }, v);
          else if (stats.totals[name] > 0) this.inc(stats.totals[name]);
        },
      });
    }
    this.pubackLatency = new Histogram({
      name: 'puback_latency_seconds',
      help: 'From receiving a QoS 1 PUBLISH to releasing its PUBACK (parse + durable commit)',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2],
      registers: [r],
    });
    this.commitItems = new Histogram({
      name: 'store_commit_items',
      help: 'Messages per group commit',
      buckets: [1, 5, 20, 100, 500, 2000, 5000],
      registers: [r],
    });
    this.commitLatency = new Histogram({
      name: 'store_commit_seconds',
      help: 'Duration of a group commit on the writer thread, fsync included',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
      registers: [r],
    });
    const loop = this.loopDelay;
    loop.enable();
    new Gauge({
      name: 'event_loop_lag_seconds',
      help: 'Event-loop delay percentiles since the last scrape',
      labelNames: ['quantile'],
      registers: [r],
      collect() {
        this.set({ quantile: '0.5' }, loop.percentile(50) / 1e9);
        this.set({ quantile: '0.99' }, loop.percentile(99) / 1e9);
        this.set({ quantile: '1' }, loop.max / 1e9);
        loop.reset();
      },
    });
    new Gauge({
      name: 'mqtt_connections',
      help: 'Open MQTT connections',
      registers: [r],
      collect() {
        this.set(gauges.connections());
      },
    });
    new Gauge({
      name: 'mqtt_clients',
      help: 'Authenticated MQTT clients',
      registers: [r],
      collect() {
        this.set(gauges.clients());
      },
    });
    new Gauge({
      name: 'store_queue',
      help: 'Messages waiting for the next group commit',
      registers: [r],
      collect() {
        this.set(gauges.storeQueue());
      },
    });
    registerDefaultMetrics(r);
  }

  stop(): void {
    this.loopDelay.disable();
  }
}
