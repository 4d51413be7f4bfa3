import type { KitFleet } from './kits.js';
import type { Topology } from './topology.js';

/** Prometheus text → value per series (`name` or `name{labels}` exactly as exposed). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

/** Sum of every series of `name` (any labels), or of those whose labels contain `match`. */
export function metricSum(m: Map<string, number>, name: string, match = ''): number {
  let n = 0;
  for (const [k, v] of m) {
    if ((k === name || k.startsWith(`${name}{`)) && k.includes(match) && Number.isFinite(v)) n += v;
  }
  return n;
}

/** One look at the system, from its real endpoints (gateway /metrics, cloud /readyz and /metrics) and the kits. */
export interface Sample {
  t: number;
  gatewayUp: boolean;
  link: string | undefined;
  backlog: number;
  oldestAgeS: number;
  /** relay_since_last_success_seconds (0 before the first success). */
  lastSuccessAgeS: number;
  quotaDrops: number;
  mqttClients: number;
  cloudReady: number[];
  sinkFails: number;
  kitsConnected: number;
  kitsBuffered: number;
  acked: number;
}

export interface Signal {
  name: string;
  firstAt: number;
}

/** What counts as "something is wrong" in a sample (compared with the sample before the fault). */
const SIGNALS: [string, (s: Sample, base: Sample) => boolean][] = [
  ['gateway /healthz+/metrics unreachable', (s) => !s.gatewayUp],
  ['kits disconnected', (s, b) => s.kitsConnected < b.kitsConnected],
  ['cloud /readyz 503', (s) => s.cloudReady.some((r) => r === 503)],
  ['cloud instance not answering', (s) => s.cloudReady.some((r) => r === 0)],
  ['cloud sink failures (*_fail_total)', (s, b) => s.sinkFails > b.sinkFails],
  ['relay_link_state not up', (s) => s.gatewayUp && s.link !== undefined && s.link !== 'up'],
  ['relay_backlog_oldest_age_seconds > 3', (s) => s.oldestAgeS > 3],
  ['relay_dropped_records{quota} rising', (s, b) => s.quotaDrops > b.quotaDrops],
];

/** Samples the system every `everyMs` until stopped; answers detection and recovery questions over the samples. */
export class Probe {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private lastMetrics = new Map<string, number>();

  constructor(
    private readonly topo: Topology,
    private readonly fleet: KitFleet,
    private readonly everyMs = 250,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get last(): Sample | undefined {
    return this.samples[this.samples.length - 1];
  }

  /** The last gateway metrics seen (e.g. drop counts at the end of a run). */
  get gatewayMetrics(): Map<string, number> {
    return this.lastMetrics;
  }

  async sample(): Promise<Sample> {
    const topo = this.topo;
    const [text, ready, cloudText] = await Promise.all([
      topo.gatewayMetrics(),
      Promise.all(topo.clouds.map((_c, i) => topo.cloudReady(i))),
      Promise.all(topo.clouds.map((_c, i) => topo.cloudMetrics(i))),
    ]);
    const m = text ? parseMetrics(text) : undefined;
    if (m) this.lastMetrics = m;
    let link: string | undefined;
    if (m) for (const [k, v] of m) if (k.startsWith('relay_link_state{') && v === 1) link = /state="([^"]+)"/.exec(k)?.[1];
    let sinkFails = 0;
    for (const t of cloudText) {
      if (!t) continue;
      const cm = parseMetrics(t);
      for (const sink of ['influx', 'redis', 'mysql']) sinkFails += metricSum(cm, `${sink}_fail_total`);
    }
    const prev = this.last;
    return {
      t: Date.now(),
      gatewayUp: m !== undefined,
      link,
      backlog: m ? metricSum(m, 'relay_backlog_records') : (prev?.backlog ?? 0),
      oldestAgeS: m ? metricSum(m, 'relay_backlog_oldest_age_seconds') : (prev?.oldestAgeS ?? 0),
      lastSuccessAgeS: m ? metricSum(m, 'relay_since_last_success_seconds') : (prev?.lastSuccessAgeS ?? 0),
      quotaDrops: m ? metricSum(m, 'relay_dropped_records', 'quota:') : (prev?.quotaDrops ?? 0),
      mqttClients: m ? metricSum(m, 'mqtt_clients') : 0,
      cloudReady: ready,
      // A killed cloud's counters are gone with it: keep the highest total seen.
      sinkFails: Math.max(sinkFails, prev?.sinkFails ?? 0),
      kitsConnected: this.fleet.connected,
      kitsBuffered: this.fleet.buffered,
      acked: this.fleet.totals.acked,
    };
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.samples.push(await this.sample());
    } finally {
      this.busy = false;
    }
  }

  /** The sample just before `t` (the baseline of a fault injected at `t`). */
  before(t: number): Sample | undefined {
    let b: Sample | undefined;
    for (const s of this.samples) if (s.t < t) b = s;
    return b;
  }

  /** Every signal that fired between `from` and `to`, with its first time, earliest first. */
  signals(from: number, to = Number.POSITIVE_INFINITY): Signal[] {
    const base = this.before(from) ?? this.samples[0];
    if (!base) return [];
    const out: Signal[] = [];
    for (const [name, fired] of SIGNALS) {
      const s = this.samples.find((x) => x.t >= from && x.t <= to && fired(x, base));
      if (s) out.push({ name, firstAt: s.t });
    }
    return out.sort((a, b) => a.firstAt - b.firstAt);
  }

  /** Largest value of a sample field between two times. */
  max(field: 'backlog' | 'oldestAgeS' | 'quotaDrops', from: number, to = Number.POSITIVE_INFINITY): number {
    let n = 0;
    for (const s of this.samples) if (s.t >= from && s.t <= to) n = Math.max(n, s[field]);
    return n;
  }

  /** Kits' acknowledgements between two times (did ingestion keep going during the fault?). */
  ackedBetween(from: number, to: number): number {
    const a = this.samples.find((s) => s.t >= from);
    const b = [...this.samples].reverse().find((s) => s.t <= to);
    return a && b ? Math.max(0, b.acked - a.acked) : 0;
  }
}

/** Recovered: gateway up, link up, the outbox's oldest record fresh (the backlog drained), every kit back with a fresh buffer. */
export function recovered(s: Sample, kits: number): boolean {
  return s.gatewayUp && s.link === 'up' && s.oldestAgeS <= 3 && s.kitsConnected === kits && s.kitsBuffered <= kits * 2;
}
