import { processTable } from './process-meter.js';
import { sloVerdicts } from './slos.js';
import type { BusinessSummary, ConnectionSummary } from './summaries.js';

/**
 * summary.md of an attempt: the split summaries' headline figures and the table of what each
 * process cost (which one ran out), for a reader who does not open the JSON.
 */
export function summaryMarkdown(
  o: {
    runId: string;
    command: string;
    sinks: string;
    connections: number;
    mps: number;
    durationS: number;
    gatewayNodes?: number;
    tlsTerminator?: string;
  },
  attempt: number,
  c: ConnectionSummary,
  b: BusinessSummary | null,
): string {
  const ms = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${x.toFixed(1)} ms`);
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  const lines = [
    `# Load test ${o.runId}, attempt ${attempt}`,
    '',
    `\`${o.command}\`: ${o.connections} kits × ${o.mps} msg/s for ${o.durationS} s, sinks ${o.sinks}, gateway broker nodes ${o.gatewayNodes ?? 1}${o.tlsTerminator === 'haproxy' ? ', kits through HAProxy terminating TLS' : ''}.`,
    '',
    `- kits connected: ${c.connected}/${c.kits}; published ${c.published_total}, acknowledged ${c.acked_total}, failed ${c.failed_total} (connection success ${pct(c.connection_success_rate)})`,
    `- PUBACK p50 / p95 / p99: ${ms(c.puback_ms.p50)} / ${ms(c.puback_ms.p95)} / ${ms(c.puback_ms.p99)}`,
    `- business success: ${b ? `${pct(b.business_pipeline_success_rate)} (${b.mode})` : 'no business summary'}`,
    `- load generator: ${c.generator.cpu_us_per_msg} µs CPU per published message (${c.generator.partitions} partitions)`,
    '',
    "The design's SLOs:",
    '',
    '| SLO | target | measured | held |',
    '|---|---|---|---|',
    ...sloVerdicts(c, b).map((v) => `| ${v.name} | ${v.target} | ${v.measured} | ${v.held === null ? '–' : v.held ? 'yes' : '**no**'} |`),
    '',
    ...(c.processes ? processTable(c.processes) : ['No process figures (the /proc files could not be read).']),
    '',
  ];
  return lines.join('\n');
}
