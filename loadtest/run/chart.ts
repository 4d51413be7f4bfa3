import type { TimelinePoint } from './timeline.js';

interface Series {
  label: string;
  color: string;
  values: (number | null)[];
}

const W = 900;
const PANEL_H = 220;
const PAD = { left: 70, right: 20, top: 30, bottom: 40 };

/**
 * A run's chart as a standalone SVG (no dependencies; opens in any browser): throughput (kits'
 * published and acknowledged messages/s) and latency (the gateway's PUBACK p95 per interval and
 * its event-loop lag p99) over time.
 */
export function renderChart(title: string, points: readonly TimelinePoint[]): string {
  const t = points.map((p) => p.t);
  const panels = [
    panel('messages / s', t, [
      { label: 'published', color: '#1f77b4', values: points.map((p) => p.publishedPerS) },
      { label: 'acknowledged', color: '#2ca02c', values: points.map((p) => p.ackedPerS) },
    ]),
    panel('ms', t, [
      { label: 'gateway PUBACK p95 (bucket bound)', color: '#d62728', values: points.map((p) => p.gatewayPubackP95Ms) },
      { label: 'event-loop lag p99', color: '#ff7f0e', values: points.map((p) => p.loopLagP99Ms) },
    ]),
  ];
  const h = panels.length * (PANEL_H + PAD.top + PAD.bottom) + 30;
  const body = panels.map((p, i) => `<g transform="translate(0 ${30 + i * (PANEL_H + PAD.top + PAD.bottom)})">${p}</g>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="15">${escapeXml(title)}</text>
${body}
</svg>
`;
}

function panel(unit: string, t: readonly number[], series: readonly Series[]): string {
  const plotW = W - PAD.left - PAD.right;
  const tMax = Math.max(1, ...t);
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const yMax = niceMax(Math.max(1, ...all));
  const x = (v: number) => PAD.left + (v / tMax) * plotW;
  const y = (v: number) => PAD.top + PANEL_H - (v / yMax) * PANEL_H;
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = yMax * f;
      return `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`;
    })
    .join('');
  const lines = series
    .map((s) => {
      let d = '';
      s.values.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) return;
        d += `${d === '' || s.values[i - 1] === null ? 'M' : 'L'}${x(t[i] ?? 0).toFixed(1)},${y(v).toFixed(1)} `;
      });
      return `<path d="${d.trim()}" fill="none" stroke="${s.color}" stroke-width="1.8"/>`;
    })
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${PAD.left + 10 + i * 260}" y="${PAD.top - 18}" width="12" height="3" fill="${s.color}"/><text x="${PAD.left + 28 + i * 260}" y="${PAD.top - 13}">${escapeXml(s.label)}</text>`,
    )
    .join('');
  return `${grid}<text x="14" y="${PAD.top + PANEL_H / 2}" transform="rotate(-90 14 ${PAD.top + PANEL_H / 2})" text-anchor="middle">${unit}</text>
<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>
<text x="${W / 2}" y="${PAD.top + PANEL_H + 30}" text-anchor="middle">seconds since the run started (${fmt(tMax)} s)</text>
${lines}${legend}`;
}

function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const fmt = (v: number) => (v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10));

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
}
