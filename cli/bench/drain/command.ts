import { writeReportSection } from '../report-section.js';
import { benchDrain, type DrainResult } from './drain.js';

export interface DrainCommandOptions {
  records: number;
  kits: number;
  liveS: number;
  partitions: number;
  gatewayArgs: string[];
  report: string | undefined;
  json: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Runs the drain benchmark, prints its figures and writes the `bench:drain` section of the report. */
export async function runDrainBench(o: DrainCommandOptions): Promise<number> {
  const out = o.json ? o.stderr : o.stdout;
  const r = await benchDrain({ ...o, log: (line) => out.write(`${line}\n`) });
  out.write(
    `backlog ${r.records} records drained in ${r.drainS.toFixed(1)} s: ${Math.round(r.backlogPerS)} records/s, ` +
      `${r.ratio.toFixed(1)} × the live rate of ${Math.round(r.livePerS)} msg/s (${r.left} left)\n`,
  );
  if (o.report) writeReportSection(o.report, 'bench:drain', markdown([{ r, liveS: o.liveS, gatewayArgs: o.gatewayArgs }]));
  if (o.json) o.stdout.write(`${JSON.stringify(r)}\n`);
  return r.left === 0 && r.checked.ok === r.checked.devices ? 0 : 1;
}

export interface DrainRun {
  r: DrainResult;
  liveS: number;
  gatewayArgs: string[];
  /** Shown instead of the flags (e.g. to name an earlier build). */
  label?: string;
}

/** The report section: one row per run (the command writes one; several when runs are compared). */
export function markdown(runs: DrainRun[], notes: string[] = []): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const first = runs[0] as DrainRun;
  return [
    '## Relay drain after an outage (`sousvide bench drain`)',
    '',
    `${new Date().toISOString()} · ${n(first.r.records)} telemetry records queued in the gateway outbox (filled directly before the start, ${first.r.fillS.toFixed(1)} s), then the gateway starts with its relay on while ${n(first.r.kits)} kits publish 1 msg/s over MQTT/TLS (QoS 1); one cloud process on private InfluxDB 1.6, Redis 7 and MariaDB from the test harness, gateway, cloud, stores and load generator on the same shared 2-core machine.`,
    '',
    '| relay settings | backlog records | drain s | backlog records/s | live msg/s (acked) | ratio to live | records sent/s during the drain | left | sample check | load avg: drain start → end (run end) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---:|',
    ...runs.map(
      ({ r, gatewayArgs, label }) =>
        `| ${label ?? (gatewayArgs.length ? `\`${gatewayArgs.join(' ')}\`` : 'defaults')} | ${n(r.records)} | ${r.drainS.toFixed(1)} | ${n(r.backlogPerS)} | ${n(r.livePerS)} (${r.liveAckedPct.toFixed(2)} %) | ${r.ratio.toFixed(1)} × | ${n(r.totalSentPerS)} | ${n(r.left)} | ${r.checked.ok}/${r.checked.devices} kits exact in InfluxDB | ${r.drainLoad ? `${r.drainLoad.start.toFixed(1)} → ${r.drainLoad.end.toFixed(1)} (${r.loadavg.toFixed(1)})` : r.loadavg.toFixed(1)} |`,
    ),
    '',
    'Drain time runs from the gateway being healthy to the last backlog row acknowledged by the cloud (a 2xx means InfluxDB, Redis and MariaDB committed). The live lane goes first in every batch; the backlog fills the rest. Target (docs/design.md, scale): backlog records/s ≥ 20 × the live rate.',
    ...notes.map((x) => `\n${x}`),
  ].join('\n');
}
