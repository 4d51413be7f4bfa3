import uPlot from 'uplot';
import { deltaToUnit } from '../../../shared/temperature-unit.js';
import { h } from '../dom.js';
import { temp } from '../format.js';
import type { Bucket } from '../model.js';
import { shown, sign, unit } from '../units.js';

/** The target band drawn around the set point (the engine holds within about this much). */
export const BAND_C = 0.5;
const LIVE_WINDOW_S = 15 * 60;
const SVG = 'http://www.w3.org/2000/svg';

function width(el: HTMLElement): number {
  return Math.max(280, Math.floor(el.clientWidth || el.parentElement?.clientWidth || 600));
}

/** Keeps a chart as wide as its box (phones rotate; the side panel folds). */
function autoSize(box: HTMLElement, plot: uPlot, height: number): () => void {
  const ro = new ResizeObserver(() => plot.setSize({ width: width(box), height }));
  ro.observe(box);
  return () => ro.disconnect();
}

/** A value already in the reader's unit, for the legend. */
const val = (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : `${v.toFixed(1)} ${sign()}`);
const conv = (c: number | null) => (c === null ? null : shown(c));

/**
 * The heater's on-time as an SVG layer under the plot (uPlot draws on a canvas; the shading is
 * DOM, so it can be read and tested): one rect per run of points with the same on-share, from a
 * point to the next, opacity by share (`data-share`, 0–1). `data-from` / `data-to` carry the run's times (epoch ms).
 */
function heaterLayer(u: uPlot, xs: readonly number[], level: readonly (number | null)[]): void {
  let svg = u.under.querySelector<SVGSVGElement>('svg.heater');
  if (!svg) {
    svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'heater');
    svg.setAttribute('aria-hidden', 'true');
    u.under.append(svg);
  }
  const w = u.under.clientWidth;
  const rects: SVGRectElement[] = [];
  for (let i = 0; i < xs.length; ) {
    const on = level[i] ?? 0;
    let j = i + 1;
    while (j < xs.length && (level[j] ?? 0) === on) j++;
    if (on > 0) {
      const from = xs[i] as number;
      const to = xs[j] ?? (xs[j - 1] as number) + 1;
      const x0 = Math.max(0, u.valToPos(from, 'x'));
      const x1 = Math.min(w, u.valToPos(to, 'x'));
      if (x1 > x0) {
        const r = document.createElementNS(SVG, 'rect');
        for (const [k, v] of Object.entries({ x: x0, y: 0, width: Math.max(1, x1 - x0), height: '100%' })) r.setAttribute(k, String(v));
        r.setAttribute('fill-opacity', String(Math.round(on * 18) / 100));
        r.setAttribute('data-share', String(Math.round(on * 100) / 100));
        r.setAttribute('data-from', String(Math.round(from * 1000)));
        r.setAttribute('data-to', String(Math.round(to * 1000)));
        rects.push(r);
      }
    }
    i = j;
  }
  svg.replaceChildren(...rects);
}

/**
 * Live chart: temperature, the target with its band, and the heater's on-time shaded under the
 * lines. Opened mid-cook, it starts from the store's history (seed); then a point is appended per
 * new reading; the window keeps the last 15 minutes. Values in the reader's unit.
 */
export function liveChart(label: string) {
  const xs: number[] = [];
  const temps: (number | null)[] = [];
  const targets: (number | null)[] = [];
  const lo: (number | null)[] = [];
  const hi: (number | null)[] = [];
  const heat: (number | null)[] = [];
  const band = deltaToUnit(BAND_C, unit());
  const box = h('div', { class: 'chart live-chart', role: 'img', 'aria-label': `${label}: no readings yet` });
  const height = 260;
  const plot = new uPlot(
    {
      width: 600,
      height,
      scales: { x: { time: true }, y: { auto: true } },
      series: [
        {},
        { label: `Temperature ${sign()}`, stroke: '#b3261e', width: 2, points: { show: false }, value: val },
        { label: `Target ${sign()}`, stroke: '#1b5e20', width: 1.5, dash: [6, 4], points: { show: false }, value: val },
        { label: 'Band low', stroke: 'transparent', show: true, points: { show: false }, value: () => '' },
        { label: 'Band high', stroke: 'transparent', show: true, points: { show: false }, value: () => '' },
      ],
      bands: [{ series: [4, 3], fill: 'rgba(27, 94, 32, 0.12)' }],
      axes: [{}, { label: sign(), size: 50 }],
      legend: { show: true },
      hooks: { draw: [(u) => heaterLayer(u, xs, heat)] },
    },
    [xs, temps, targets, lo, hi],
    box,
  );
  const stopSize = autoSize(box, plot, height);
  const add = (ts: number, tempC: number | null, targetC: number | null, heaterOn: number | null) => {
    const t = conv(targetC);
    xs.push(ts / 1000);
    temps.push(conv(tempC));
    targets.push(t);
    lo.push(t === null ? null : t - band);
    hi.push(t === null ? null : t + band);
    heat.push(heaterOn);
  };
  return {
    el: h(
      'figure',
      {},
      box,
      h('figcaption', {}, `Live: temperature (red), target and ±${band.toFixed(1)} ${sign()} band (green), heater on (shaded orange).`),
    ),
    /** Appends one reading; returns how many points the chart holds. */
    push(ts: number, tempC: number | null, targetC: number | null, heaterOn: boolean): number {
      add(ts, tempC, targetC, heaterOn ? 1 : 0);
      while (xs.length > 1 && (xs[xs.length - 1] as number) - (xs[0] as number) > LIVE_WINDOW_S) {
        for (const a of [xs, temps, targets, lo, hi, heat]) a.shift();
      }
      plot.setData([xs, temps, targets, lo, hi]);
      box.setAttribute(
        'aria-label',
        `${label}: ${xs.length} readings, latest ${temp(tempC)}${targetC === null ? '' : `, target ${temp(targetC)}`}, heater ${heaterOn ? 'on' : 'off'}`,
      );
      box.dataset.points = String(xs.length);
      return xs.length;
    },
    /** Starts the window with history from the store: temperature, target steps and the heater's on-share. */
    seed(buckets: Bucket[]) {
      for (const b of buckets) if (b.mean !== null) add(b.ts, b.mean, b.targetC, b.heaterOn);
      plot.setData([xs, temps, targets, lo, hi]);
      box.dataset.seeded = String(xs.length);
    },
    get lastTs(): number | null {
      const x = xs[xs.length - 1];
      return x === undefined ? null : x * 1000;
    },
    dispose() {
      stopSize();
      plot.destroy();
    },
  };
}

/**
 * History from the store (the cloud's, or the gateway's own SQLite): mean with the min–max range
 * as a band, the target, the heater shaded. Dragging across the chart zooms: the range is fetched
 * again at a finer step (the store downsamples, not the page).
 */
export function historyChart(
  load: (fromMs: number, toMs: number, everyMs: number) => Promise<Bucket[]>,
  onError: (e: Error) => void,
  source: string,
) {
  const box = h('div', { class: 'chart history-chart', role: 'img', 'aria-label': 'History: loading' });
  const height = 220;
  let range = { from: Date.now() - 3_600_000, to: Date.now() };
  let xs: number[] = [];
  let heat: (number | null)[] = [];
  const show = async (from: number, to: number) => {
    range = { from, to };
    try {
      const b = await load(from, to, Math.max(1000, (to - from) / 300));
      xs = b.map((x) => x.ts / 1000);
      heat = b.map((x) => x.heaterOn);
      plot.setData([xs, b.map((x) => conv(x.mean)), b.map((x) => conv(x.min)), b.map((x) => conv(x.max)), b.map((x) => conv(x.targetC))]);
      plot.setScale('x', { min: from / 1000, max: to / 1000 });
      const means = b.filter((x) => x.mean !== null);
      box.setAttribute(
        'aria-label',
        `History ${new Date(from).toLocaleString()} to ${new Date(to).toLocaleString()}: ${means.length} points`,
      );
      box.dataset.points = String(means.length);
    } catch (err) {
      onError(err as Error);
    }
  };
  const plot = new uPlot(
    {
      width: 600,
      height,
      scales: { x: { time: true } },
      cursor: { drag: { x: true, y: false, setScale: false } },
      series: [
        {},
        { label: `Mean ${sign()}`, stroke: '#0d47a1', width: 2, value: val },
        { label: 'Min', stroke: 'transparent', value: val },
        { label: 'Max', stroke: 'transparent', value: val },
        { label: `Target ${sign()}`, stroke: '#1b5e20', width: 1.5, dash: [6, 4], points: { show: false }, value: val },
      ],
      bands: [{ series: [3, 2], fill: 'rgba(13, 71, 161, 0.15)' }],
      axes: [{}, { label: sign(), size: 50 }],
      hooks: {
        draw: [(u) => heaterLayer(u, xs, heat)],
        setSelect: [
          (u) => {
            if (u.select.width < 5) return;
            const from = u.posToVal(u.select.left, 'x') * 1000;
            const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            void show(from, to);
          },
        ],
      },
    },
    [[], [], [], [], []],
    box,
  );
  const stopSize = autoSize(box, plot, height);
  const button = (label: string, ms: number) =>
    h('button', { type: 'button', onclick: () => void show(Date.now() - ms, Date.now()) }, label);
  const el = h(
    'figure',
    {},
    h(
      'div',
      { class: 'toolbar', role: 'group', 'aria-label': 'History range' },
      button('15 min', 900_000),
      button('1 h', 3_600_000),
      button('6 h', 21_600_000),
      button('24 h', 86_400_000),
    ),
    box,
    h(
      'figcaption',
      {},
      `History from ${source}: mean (blue) and min–max range, target (green), heater on (shaded orange). Drag across the chart to zoom in.`,
    ),
  );
  return {
    el,
    show,
    reload: () => show(range.from, range.to),
    dispose() {
      stopSize();
      plot.destroy();
    },
  };
}
