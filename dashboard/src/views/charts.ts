import uPlot from 'uplot';
import { h } from '../dom.js';
import { temp } from '../format.js';
import type { Bucket } from '../model.js';

/** The target band drawn around the set point (the engine holds within about this much). */
export const BAND_C = 0.5;
const LIVE_WINDOW_S = 15 * 60;
const HEATER_FILL = 'rgba(230, 120, 0, 0.16)';

function width(el: HTMLElement): number {
  return Math.max(280, Math.floor(el.clientWidth || el.parentElement?.clientWidth || 600));
}

/** Keeps a chart as wide as its box (phones rotate; the side panel folds). */
function autoSize(box: HTMLElement, plot: uPlot, height: number): () => void {
  const ro = new ResizeObserver(() => plot.setSize({ width: width(box), height }));
  ro.observe(box);
  return () => ro.disconnect();
}

/**
 * Live chart: temperature, the target with its band, and the heater's on-time shaded under the
 * lines (drawn in the drawClear hook, so the series paint over it). Points are appended per new
 * reading; the window keeps the last 15 minutes.
 */
export function liveChart(label: string) {
  const xs: number[] = [];
  const temps: (number | null)[] = [];
  const targets: (number | null)[] = [];
  const lo: (number | null)[] = [];
  const hi: (number | null)[] = [];
  const heat: boolean[] = [];
  const box = h('div', { class: 'chart live-chart', role: 'img', 'aria-label': `${label}: no readings yet` });
  const height = 260;
  const shade = (u: uPlot) => {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.fillStyle = HEATER_FILL;
    for (let i = 0; i < xs.length; i++) {
      if (!heat[i]) continue;
      const x0 = u.valToPos(xs[i] as number, 'x', true);
      const x1 = u.valToPos((xs[i + 1] ?? (xs[i] as number) + 1) as number, 'x', true);
      ctx.fillRect(x0, bbox.top, Math.max(1, x1 - x0), bbox.height);
    }
    ctx.restore();
  };
  const plot = new uPlot(
    {
      width: 600,
      height,
      scales: { x: { time: true }, y: { auto: true } },
      series: [
        {},
        { label: 'Temperature °C', stroke: '#b3261e', width: 2, points: { show: false }, value: (_u, v) => temp(v) },
        { label: 'Target °C', stroke: '#1b5e20', width: 1.5, dash: [6, 4], points: { show: false }, value: (_u, v) => temp(v) },
        { label: 'Band low', stroke: 'transparent', show: true, value: () => '' },
        { label: 'Band high', stroke: 'transparent', show: true, value: () => '' },
      ],
      bands: [{ series: [4, 3], fill: 'rgba(27, 94, 32, 0.12)' }],
      axes: [{}, { label: '°C', size: 50 }],
      legend: { show: true },
      hooks: { drawClear: [shade] },
    },
    [xs, temps, targets, lo, hi],
    box,
  );
  const stopSize = autoSize(box, plot, height);
  return {
    el: h('figure', {}, box, h('figcaption', {}, 'Live: temperature (red), target and ±0.5 °C band (green), heater on (shaded orange).')),
    /** Appends one reading; returns how many points the chart holds. */
    push(ts: number, tempC: number | null, targetC: number | null, heaterOn: boolean): number {
      xs.push(ts / 1000);
      temps.push(tempC);
      targets.push(targetC);
      lo.push(targetC === null ? null : targetC - BAND_C);
      hi.push(targetC === null ? null : targetC + BAND_C);
      heat.push(heaterOn);
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
    /** Seeds the window with history buckets (no heater data in buckets: unshaded). */
    seed(buckets: Bucket[], cook: { targetC: number; sinceTs: number } | null) {
      for (const b of buckets) {
        if (b.mean === null) continue;
        const target = cook && b.ts >= cook.sinceTs ? cook.targetC : null; // no target line before the cook began
        xs.push(b.ts / 1000);
        temps.push(b.mean);
        targets.push(target);
        lo.push(target === null ? null : target - BAND_C);
        hi.push(target === null ? null : target + BAND_C);
        heat.push(false);
      }
      plot.setData([xs, temps, targets, lo, hi]);
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
 * History from the store (cloud): mean with the min–max range as a band. Dragging across the
 * chart zooms: the range is fetched again at a finer step (the store downsamples, not the page).
 */
export function historyChart(load: (fromMs: number, toMs: number, everyMs: number) => Promise<Bucket[]>, onError: (e: Error) => void) {
  const box = h('div', { class: 'chart', role: 'img', 'aria-label': 'History: loading' });
  const height = 220;
  let range = { from: Date.now() - 3_600_000, to: Date.now() };
  const show = async (from: number, to: number) => {
    range = { from, to };
    try {
      const b = await load(from, to, Math.max(1000, (to - from) / 300));
      plot.setData([b.map((x) => x.ts / 1000), b.map((x) => x.mean), b.map((x) => x.min), b.map((x) => x.max)]);
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
        { label: 'Mean °C', stroke: '#0d47a1', width: 2, value: (_u, v) => temp(v) },
        { label: 'Min', stroke: 'transparent', value: (_u, v) => temp(v) },
        { label: 'Max', stroke: 'transparent', value: (_u, v) => temp(v) },
      ],
      bands: [{ series: [3, 2], fill: 'rgba(13, 71, 161, 0.15)' }],
      axes: [{}, { label: '°C', size: 50 }],
      hooks: {
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
    [[], [], [], []],
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
    h('figcaption', {}, 'History from the cloud store: mean (blue) and min–max range. Drag across the chart to zoom in.'),
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
