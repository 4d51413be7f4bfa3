import { descendants, processCpuMs, processEnv, processParent, processRssBytes } from '../proc-cpu.js';

/**
 * What each process of a load-test run cost: peak RSS and CPU time over the measured window, CPU
 * per acknowledged message, and CPU as a share of one core (a process near 100 % of a core is the
 * one that ran out: Node runs its JavaScript on one thread). Processes are read from
 * /proc/<pid>/stat and /proc/<pid>/status, so the figures cover every thread and need nothing from
 * the measured process; a group is a root process and its descendants (the gateway and its broker
 * node processes, ADR 024).
 */
export interface ProcessCost {
  name: string;
  pid: number;
  rss_max_mb: number;
  cpu_ms: number;
  cpu_us_per_msg: number;
  cpu_core_pct: number;
  /**
   * CPU as a share of one core over its busiest PEAK_WINDOW_MS of the run (null: too few samples).
   * The whole-run share averages in the connects and the drain; this one says which process ran out.
   */
  cpu_core_pct_peak: number | null;
}

export interface ProcessGroupCost {
  /** gateway, cloud, influxd, redis-server, mariadbd. */
  group: string;
  /** Sums over the group's processes (rss_max_mb: the sum of each process's peak). */
  total: Omit<ProcessCost, 'name' | 'pid'> & { processes: number };
  processes: ProcessCost[];
}

export interface ProcessSummary {
  /** From the start of the load to the end of the run's wait for the pipeline (the drain, with all sinks). */
  window_ms: number;
  acked_total: number;
  sample_every_ms: number;
  groups: ProcessGroupCost[];
}

export interface MeteredRoot {
  group: string;
  pid: number | undefined;
  /** The name of a direct child of the root, if the group knows it; otherwise a process is named `<parent's name>/<command>`. */
  childName?: (pid: number) => string | undefined;
}

/**
 * A gateway's broker node is named by its node index (the SV_GATEWAY_NODE its parent gives it);
 * other processes under the gateway (e.g. tsx's esbuild when run from source) by their command.
 */
export const gatewayRoot = (pid: number | undefined): MeteredRoot => ({
  group: 'gateway',
  pid,
  childName: (child) => {
    const node = processEnv(child, 'SV_GATEWAY_NODE');
    return node === undefined ? undefined : `gateway-node-${node}`;
  },
});

/** `gateway`, `gateway-node-1`, `gateway-node-1/esbuild`: a process's name from its place in the tree. */
function nameOf(root: MeteredRoot & { pid: number }, pid: number, depth = 0): string {
  if (pid === root.pid) return root.group;
  const parent = processParent(pid);
  if (!parent || depth > 16) return `${root.group}/${pid}`;
  if (parent.ppid === root.pid) {
    const known = root.childName?.(pid);
    if (known) return known;
  }
  return `${nameOf(root, parent.ppid, depth + 1)}/${parent.comm}`;
}

/** What the sampler knows of one process: CPU ms at the window's start and now, peak RSS bytes. */
export interface Seen {
  group: string;
  name: string;
  pid: number;
  cpu0: number;
  cpu: number;
  rssMax: number;
  /** [sample time ms, CPU ms since cpu0] at each sample, for the busiest window. */
  hist?: [number, number][];
}

/** The window of `cpu_core_pct_peak`. */
export const PEAK_WINDOW_MS = 10_000;

/** The largest CPU share of one core over any PEAK_WINDOW_MS of a history (null: shorter than that). */
export function peakCorePct(hist: readonly [number, number][]): number | null {
  let best: number | null = null;
  let j = 0;
  for (let i = 0; i < hist.length; i++) {
    const [t, c] = hist[i] as [number, number];
    while (j + 1 < i && t - (hist[j + 1] as [number, number])[0] >= PEAK_WINDOW_MS) j++;
    const [t0, c0] = hist[j] as [number, number];
    if (t - t0 < PEAK_WINDOW_MS) continue;
    const pct = ((c - c0) / (t - t0)) * 100;
    if (best === null || pct > best) best = pct;
  }
  return best === null ? null : Math.round(best * 10) / 10;
}

/** A group's history: at each sample time, the CPU of its processes summed (a process not yet seen counts 0, one gone its last value). */
function sumHistories(hists: readonly [number, number][][]): [number, number][] {
  const times = [...new Set(hists.flatMap((h) => h.map(([t]) => t)))].sort((a, b) => a - b);
  const at = hists.map(() => 0);
  const last = hists.map(() => 0);
  return times.map((t) => {
    let sum = 0;
    hists.forEach((h, k) => {
      while ((at[k] as number) < h.length && (h[at[k] as number] as [number, number])[0] <= t) {
        last[k] = (h[at[k] as number] as [number, number])[1];
        at[k] = (at[k] as number) + 1;
      }
      sum += last[k] as number;
    });
    return [t, sum];
  });
}

export class ProcessMeter {
  private readonly seen = new Map<number, Seen>();
  private timer: NodeJS.Timeout | undefined;
  private started = 0;
  private stopped = 0;

  constructor(
    private readonly roots: readonly MeteredRoot[],
    private readonly everyMs = 1000,
  ) {}

  start(): void {
    this.started = Date.now();
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), this.everyMs).unref();
  }

  /** Takes the last sample and returns what each process cost per acknowledged message. */
  stop(ackedTotal: number): ProcessSummary {
    clearInterval(this.timer);
    this.sample(false);
    this.stopped = Date.now();
    return summarizeCosts([...this.seen.values()], this.stopped - this.started, ackedTotal, this.everyMs, this.roots);
  }

  /** At the first sample a process's CPU so far is its baseline; one that appears later (a restarted node) counts from 0. */
  private sample(first: boolean): void {
    const now = Date.now();
    for (const root of this.roots) {
      if (root.pid === undefined) continue;
      const pids = [root.pid, ...descendants(root.pid)];
      for (const pid of pids) {
        const cpu = processCpuMs(pid);
        const rss = processRssBytes(pid);
        if (cpu === null || rss === null) continue; // gone meanwhile
        let s = this.seen.get(pid);
        if (!s) {
          const name = nameOf({ ...root, pid: root.pid }, pid);
          s = { group: root.group, name, pid, cpu0: first ? cpu : 0, cpu, rssMax: 0 };
          this.seen.set(pid, s);
        }
        s.cpu = cpu;
        s.rssMax = Math.max(s.rssMax, rss);
        if (s.hist === undefined) s.hist = [];
        s.hist.push([now, cpu - s.cpu0]);
      }
    }
  }
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The pure part: per-process and per-group figures from what the sampler saw. Totals are sums of the parts. */
export function summarizeCosts(
  seen: readonly Seen[],
  windowMs: number,
  ackedTotal: number,
  everyMs: number,
  roots: readonly Pick<MeteredRoot, 'group'>[],
): ProcessSummary {
  const perMsg = (cpuMs: number) => (ackedTotal > 0 ? round((cpuMs * 1000) / ackedTotal, 2) : 0);
  const corePct = (cpuMs: number) => (windowMs > 0 ? round((cpuMs / windowMs) * 100, 1) : 0);
  const groups: ProcessGroupCost[] = [];
  for (const group of [...new Set(roots.map((r) => r.group))]) {
    const processes = seen
      .filter((s) => s.group === group)
      .map((s) => {
        const cpuMs = Math.round(s.cpu - s.cpu0);
        return {
          name: s.name,
          pid: s.pid,
          rss_max_mb: round(s.rssMax / 2 ** 20, 1),
          cpu_ms: cpuMs,
          cpu_us_per_msg: perMsg(cpuMs),
          cpu_core_pct: corePct(cpuMs),
          cpu_core_pct_peak: s.hist ? peakCorePct(s.hist) : null,
        };
      })
      .sort((a, b) => (a.name === group ? -1 : b.name === group ? 1 : a.name.localeCompare(b.name)));
    if (processes.length === 0) continue;
    const cpuMs = processes.reduce((a, p) => a + p.cpu_ms, 0);
    const hists = seen.filter((s) => s.group === group && s.hist).map((s) => s.hist as [number, number][]);
    groups.push({
      group,
      total: {
        processes: processes.length,
        rss_max_mb: round(
          processes.reduce((a, p) => a + p.rss_max_mb, 0),
          1,
        ),
        cpu_ms: cpuMs,
        cpu_us_per_msg: perMsg(cpuMs),
        cpu_core_pct: corePct(cpuMs),
        cpu_core_pct_peak: hists.length > 0 ? peakCorePct(sumHistories(hists)) : null,
      },
      processes,
    });
  }
  return { window_ms: windowMs, acked_total: ackedTotal, sample_every_ms: everyMs, groups };
}

/** The markdown table of a run's process costs (summary.md and the CLI's output). */
export function processTable(p: ProcessSummary): string[] {
  const rows = [
    `CPU and memory per process over ${(p.window_ms / 1000).toFixed(1)} s (${p.acked_total} acknowledged messages; /proc sampled every ${p.sample_every_ms} ms; the busiest ${PEAK_WINDOW_MS / 1000} s says which process ran out: near 100 % of a core for one Node process, and the run's processes together near the machine's cores):`,
    '',
    '| process | pid | RSS max MB | CPU ms | CPU µs/msg | CPU % of a core (whole run) | CPU % of a core (busiest 10 s) |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const g of p.groups) {
    for (const x of g.processes)
      rows.push(
        `| ${x.name} | ${x.pid} | ${x.rss_max_mb} | ${x.cpu_ms} | ${x.cpu_us_per_msg} | ${x.cpu_core_pct} | ${x.cpu_core_pct_peak ?? '–'} |`,
      );
    if (g.processes.length > 1) {
      const t = g.total;
      rows.push(
        `| **${g.group} total** (${t.processes}) | | ${t.rss_max_mb} | ${t.cpu_ms} | ${t.cpu_us_per_msg} | ${t.cpu_core_pct} | ${t.cpu_core_pct_peak ?? '–'} |`,
      );
    }
  }
  return rows;
}
