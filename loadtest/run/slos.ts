import type { BusinessSummary, ConnectionSummary } from './summaries.js';

/** One service-level objective of the design's load tests, judged on an attempt. */
export interface SloVerdict {
  name: string;
  target: string;
  measured: string;
  /** null: not measured in this run (a gateway-only run has no publish → visible). */
  held: boolean | null;
}

/**
 * The design's SLOs for a load test (docs/load-test-scenarios.md): connection and business
 * success ≥ 99.9 %, PUBACK p95 < 200 ms, publish → visible p95 < 2 s (with the cloud).
 */
export function sloVerdicts(c: ConnectionSummary, b: BusinessSummary | null): SloVerdict[] {
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  const ms = (x: number | null | undefined) => (x === null || x === undefined ? 'not measured' : `${x.toFixed(1)} ms`);
  const visible = c.publish_to_visible_ms;
  return [
    {
      name: 'connection success',
      target: '≥ 99.9 %',
      measured: pct(c.connection_success_rate),
      held: c.connection_success_rate >= 0.999,
    },
    {
      name: 'business success',
      target: '≥ 99.9 %',
      measured: b ? pct(b.business_pipeline_success_rate) : 'no business summary',
      held: b ? b.business_pipeline_success_rate >= 0.999 : false,
    },
    { name: 'PUBACK p95', target: '< 200 ms', measured: ms(c.puback_ms.p95), held: c.puback_ms.p95 !== null && c.puback_ms.p95 < 200 },
    {
      name: 'publish → visible p95',
      target: '< 2 s',
      measured: visible ? ms(visible.p95) : 'not measured (no cloud)',
      held: visible ? visible.p95 !== null && visible.p95 < 2000 : null,
    },
  ];
}

/** "3 of 4 held (PUBACK p95 not)": one line for the command's output. */
export function sloLine(v: readonly SloVerdict[]): string {
  const judged = v.filter((x) => x.held !== null);
  const missed = judged.filter((x) => !x.held).map((x) => x.name);
  const held = judged.length - missed.length;
  return `${held} of ${judged.length} held${missed.length > 0 ? ` (not: ${missed.join(', ')})` : ''}`;
}
