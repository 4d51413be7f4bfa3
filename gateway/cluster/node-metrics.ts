import { Counter, Gauge, type Registry } from 'prom-client';
import type { NodeReport } from './messages.js';

export interface NodeView {
  index: number;
  up: boolean;
  restarts: number;
  report: NodeReport | undefined;
  /** Worst event-loop delay reported since the last scrape (reset by it). */
  lag: { p99: number; max: number };
}

/** Per-node gauges on the gateway's /metrics (the counters themselves are summed into the gateway's). */
export function registerNodeMetrics(registry: Registry, nodes: () => NodeView[]): void {
  const each = (fn: (n: NodeView, node: string) => void) => {
    for (const n of nodes()) fn(n, String(n.index));
  };
  new Gauge({
    name: 'broker_node_up',
    help: 'Broker node process running and listening (mqtt.nodes > 1)',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      each((n, node) => this.set({ node }, n.up ? 1 : 0));
    },
  });
  new Counter({
    name: 'broker_node_restarts_total',
    help: 'Broker node processes restarted after an unexpected exit',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.reset();
      each((n, node) => this.inc({ node }, n.restarts));
    },
  });
  new Gauge({
    name: 'broker_node_clients',
    help: 'Authenticated MQTT clients per broker node',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      each((n, node) => this.set({ node }, n.report?.clients ?? 0));
    },
  });
  new Gauge({
    name: 'broker_node_event_loop_lag_seconds',
    help: 'Event-loop delay of each broker node since the last scrape (worst of its ~250 ms reports)',
    labelNames: ['node', 'quantile'],
    registers: [registry],
    collect() {
      each((n, node) => {
        this.set({ node, quantile: '0.99' }, n.lag.p99);
        this.set({ node, quantile: '1' }, n.lag.max);
        n.lag = { p99: 0, max: 0 };
      });
    },
  });
  new Gauge({
    name: 'broker_node_resident_memory_bytes',
    help: 'Resident memory of each broker node process',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      each((n, node) => this.set({ node }, n.report?.rss ?? 0));
    },
  });
}
