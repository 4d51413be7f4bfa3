import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CounterName, Stats } from '../stats.js';
import type { CounterDelta, NodeReport } from './messages.js';

/**
 * A broker node's counters and health, sent to the gateway process as deltas (so a report lost
 * with a crashed node loses only its own interval) every `everyMs`. The gateway process adds
 * them to its own Stats: /metrics and the once-a-second log line show the whole gateway.
 */
export class NodeReporter {
  private readonly sent = new Map<string, number>();
  private readonly loop = monitorEventLoopDelay({ resolution: 10 });
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly stats: Stats,
    private readonly gauges: () => { connections: number; clients: number },
    private readonly takePuback: () => number[],
    private readonly send: (r: NodeReport) => void,
  ) {}

  start(everyMs = 250): void {
    this.loop.enable();
    this.timer = setInterval(() => this.report(), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.loop.disable();
    this.report();
  }

  report(): void {
    const counters: CounterDelta[] = [];
    for (const name of Object.keys(this.stats.totals) as CounterName[]) {
      const total = this.stats.totals[name];
      const labelled = this.stats.labelled.get(name);
      let labelSum = 0;
      if (labelled) {
        for (const [label, n] of labelled) {
          labelSum += n;
          this.delta(counters, name, label, n);
        }
      }
      this.delta(counters, name, '', total - labelSum);
    }
    const g = this.gauges();
    this.send({
      t: 'report',
      counters,
      pubackMs: this.takePuback(),
      connections: g.connections,
      clients: g.clients,
      loopLagP99: this.loop.percentile(99) / 1e9,
      loopLagMax: this.loop.max / 1e9,
      rss: process.memoryUsage.rss(),
    });
    this.loop.reset();
  }

  private delta(out: CounterDelta[], name: string, label: string, value: number): void {
    const key = `${name}\u0000${label}`;
    const d = value - (this.sent.get(key) ?? 0);
    if (d === 0) return;
    this.sent.set(key, value);
    out.push([name, label, d]);
  }
}

/** The gateway process's side: adds a node's deltas to its own counters. */
export function applyCounterDeltas(stats: Stats, deltas: CounterDelta[]): void {
  for (const [name, label, n] of deltas) {
    if (!(name in stats.totals)) continue;
    if (label === '') stats.inc(name as CounterName, n);
    else stats.incLabel(name as CounterName, label, n);
  }
}
