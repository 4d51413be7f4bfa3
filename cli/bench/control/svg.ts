/**
 * A minimal SVG line chart (no dependency): panels of series over time with a target band and
 * shaded heater-on intervals. Enough for docs/img/control-*.svg.
 */
export interface Series {
  label: string;
  color: string;
  points: [number, number][];
  dash?: boolean;
}

export interface Panel {
  title: string;
  series: Series[];
  /** x intervals to shade (heater on), with a colour. */
  shade?: { from: number; to: number; color: string }[];
  band?: { lo: number; hi: number };
  target?: number;
  marks?: { x: number; label: string; color: string }[];
}

export interface Chart {
  width: number;
  panelHeight: number;
  xLabel: string;
  yLabel: string;
  x: [number, number];
  y: [number, number];
  panels: Panel[];
}

const M = { l: 56, r: 16, t: 28, b: 34 };

export function renderChart(c: Chart): string {
  const h = c.panels.length * c.panelHeight;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${c.width}" height="${h}" viewBox="0 0 ${c.width} ${h}" font-family="sans-serif" font-size="11">`,
    `<rect width="${c.width}" height="${h}" fill="white"/>`,
  ];
  c.panels.forEach((p, i) => {
    out.push(renderPanel(c, p, i * c.panelHeight));
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function renderPanel(c: Chart, p: Panel, top: number): string {
  const w = c.width - M.l - M.r;
  const h = c.panelHeight - M.t - M.b;
  const sx = (x: number) => M.l + ((x - c.x[0]) / (c.x[1] - c.x[0])) * w;
  const sy = (y: number) => top + M.t + h - ((Math.min(Math.max(y, c.y[0]), c.y[1]) - c.y[0]) / (c.y[1] - c.y[0])) * h;
  const o: string[] = [];
  o.push(`<text x="${M.l}" y="${top + 16}" font-size="13" font-weight="bold">${esc(p.title)}</text>`);
  for (const s of p.shade ?? []) {
    const x0 = sx(Math.max(s.from, c.x[0]));
    const x1 = sx(Math.min(s.to, c.x[1]));
    if (x1 > x0) o.push(`<rect x="${x0.toFixed(1)}" y="${top + M.t}" width="${(x1 - x0).toFixed(1)}" height="${h}" fill="${s.color}"/>`);
  }
  if (p.band)
    o.push(
      `<rect x="${M.l}" y="${sy(p.band.hi).toFixed(1)}" width="${w}" height="${(sy(p.band.lo) - sy(p.band.hi)).toFixed(1)}" fill="#2a9d8f" opacity="0.15"/>`,
    );
  if (p.target !== undefined)
    o.push(
      `<line x1="${M.l}" x2="${M.l + w}" y1="${sy(p.target).toFixed(1)}" y2="${sy(p.target).toFixed(1)}" stroke="#2a9d8f" stroke-dasharray="4 3"/>`,
    );
  o.push(`<rect x="${M.l}" y="${top + M.t}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  for (const t of ticks(c.y[0], c.y[1], 5)) {
    o.push(`<line x1="${M.l - 4}" x2="${M.l}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#999"/>`);
    o.push(`<text x="${M.l - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of ticks(c.x[0], c.x[1], 8)) {
    o.push(`<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${top + M.t + h}" y2="${top + M.t + h + 4}" stroke="#999"/>`);
    o.push(`<text x="${sx(t).toFixed(1)}" y="${top + M.t + h + 15}" text-anchor="middle">${fmt(t)}</text>`);
  }
  o.push(`<text x="${M.l + w / 2}" y="${top + c.panelHeight - 4}" text-anchor="middle">${esc(c.xLabel)}</text>`);
  o.push(`<text transform="translate(14 ${top + M.t + h / 2}) rotate(-90)" text-anchor="middle">${esc(c.yLabel)}</text>`);
  for (const s of p.series) {
    const pts = s.points.filter(([x]) => x >= c.x[0] && x <= c.x[1]).map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    if (pts.length > 1)
      o.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="1.4"${s.dash ? ' stroke-dasharray="3 2"' : ''} points="${pts.join(' ')}"/>`,
      );
  }
  let lastLabelX = Number.NEGATIVE_INFINITY;
  let row = 0;
  for (const m of p.marks ?? []) {
    if (m.x < c.x[0] || m.x > c.x[1]) continue;
    const x = sx(m.x);
    o.push(
      `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top + M.t}" y2="${top + M.t + h}" stroke="${m.color}" stroke-dasharray="2 2"/>`,
    );
    // Labels that would overlap go one row down.
    row = x - lastLabelX < 30 ? row + 1 : 0;
    lastLabelX = x;
    o.push(`<text x="${(x + 3).toFixed(1)}" y="${top + M.t + 11 + row * 11}" fill="${m.color}">${esc(m.label)}</text>`);
  }
  let lx = M.l + w;
  for (const s of [...p.series].reverse()) {
    lx -= 8 + s.label.length * 6.2 + 18;
    o.push(`<line x1="${lx}" x2="${lx + 14}" y1="${top + 12}" y2="${top + 12}" stroke="${s.color}" stroke-width="2"/>`);
    o.push(`<text x="${lx + 18}" y="${top + 16}">${esc(s.label)}</text>`);
  }
  return o.join('\n');
}

function ticks(lo: number, hi: number, n: number): number[] {
  const raw = (hi - lo) / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
