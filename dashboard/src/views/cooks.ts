import { describe } from '../alarms.js';
import { fill, h } from '../dom.js';
import { dateTime, duration, fullDateTime, temp } from '../format.js';
import type { CookRecord } from '../model.js';
import { dangerZone, shown, sign } from '../units.js';
import type { Ctx, View } from './view.js';

const DAY_MS = 86_400_000;
const when = (ts: number | null) => (ts === null ? '—' : h('time', { datetime: new Date(ts).toISOString() }, dateTime(ts)));

/** The cooks of the last 30 days, each linking to its printable report. */
export function cooksView(ctx: Ctx): View {
  const body = h('tbody', {});
  const el = h(
    'section',
    { 'aria-labelledby': 'cooks-title' },
    h('h1', { id: 'cooks-title' }, 'Cook records'),
    h(
      'p',
      { class: 'hint' },
      'Every cook of the last 30 days; open one for its printable report (temperature curve, danger zone, lethality, alarms, actions).',
    ),
    h(
      'div',
      { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Cooks, newest first' },
      h(
        'table',
        { class: 'cooks' },
        h('caption', {}, 'Cooks, newest first'),
        h('thead', {}, h('tr', {}, ...['Started', 'Kit', 'Food', 'Target', 'State', 'Report'].map((x) => h('th', { scope: 'col' }, x)))),
        body,
      ),
    ),
  );
  let last = '';
  return {
    title: 'Cook records',
    el,
    everyMs: () => 10_000,
    async refresh() {
      const now = Date.now();
      const cooks = await ctx.api.cooks(now - 30 * DAY_MS, now + 60_000);
      const key = cooks.map((c) => `${c.id}:${c.state}`).join('|');
      if (key === last) return;
      last = key;
      fill(
        body,
        ...cooks.map((c) =>
          h(
            'tr',
            { 'data-cook': c.id },
            h('td', {}, when(c.startedTs)),
            h('td', {}, c.deviceId),
            h('td', {}, [c.food, c.foodKind].filter(Boolean).join(' · ') || '—'),
            h('td', {}, temp(c.targetC)),
            h('td', {}, c.state),
            h('td', {}, h('a', { href: `#/cook/${encodeURIComponent(c.id)}` }, `Report ${c.id}`)),
          ),
        ),
      );
      if (cooks.length === 0) fill(body, h('tr', {}, h('td', { colspan: 6 }, 'No cooks in the last 30 days.')));
    },
  };
}

/** A time in the report: with the year and the zone, as a printed record needs. */
const fullWhen = (ts: number | null) => (ts === null ? '—' : h('time', { datetime: new Date(ts).toISOString() }, fullDateTime(ts)));

/** An SVG of the bath curve (min–max band and mean) with the target line, the unit and a time axis; printable. */
function curveSvg(r: CookRecord): SVGSVGElement {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 720;
  const H = 240;
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('class', 'curve');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Bath temperature from ${temp(r.minC)} to ${temp(r.maxC)}, target ${temp(r.targetC)}`);
  if (r.curve.length === 0) return svg;
  const t0 = r.curve[0]!.ts;
  const t1 = Math.max(t0 + 1, r.curve[r.curve.length - 1]!.ts);
  const lo = Math.min(r.targetC, ...r.curve.map((p) => p.min)) - 1;
  const hi = Math.max(r.targetC, ...r.curve.map((p) => p.max)) + 1;
  const x = (ts: number) => 40 + ((ts - t0) / (t1 - t0)) * (W - 50);
  const y = (c: number) => 18 + ((hi - c) / (hi - lo)) * (H - 48);
  const add = (tag: string, attrs: Record<string, string | number>, text?: string) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text) e.textContent = text;
    svg.append(e);
  };
  const band = [...r.curve.map((p) => `${x(p.ts)},${y(p.max)}`), ...[...r.curve].reverse().map((p) => `${x(p.ts)},${y(p.min)}`)].join(' ');
  add('polygon', { points: band, class: 'band' });
  add('polyline', { points: r.curve.map((p) => `${x(p.ts)},${y(p.mean)}`).join(' '), class: 'mean', fill: 'none' });
  add('line', { x1: 40, x2: W - 10, y1: y(r.targetC), y2: y(r.targetC), class: 'target' });
  // Axis labels: the target, and the range ends where they do not overlap it.
  add('text', { x: 2, y: y(r.targetC) + 4, class: 'axis' }, `${Math.round(shown(r.targetC) * 10) / 10}`);
  if (Math.abs(y(hi) + 10 - y(r.targetC) - 4) > 12) add('text', { x: 2, y: y(hi) + 10, class: 'axis' }, `${Math.round(shown(hi))}`);
  if (Math.abs(y(lo) - y(r.targetC) - 4) > 12) add('text', { x: 2, y: y(lo), class: 'axis' }, `${Math.round(shown(lo))}`);
  add('text', { x: 2, y: 10, class: 'axis', 'data-axis': 'unit' }, sign());
  // The time axis: start, middle and end as clock times (the report's header has the date and zone).
  const clock = (ts: number) => new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  add('line', { x1: 40, x2: W - 10, y1: H - 22, y2: H - 22, class: 'axis-line' });
  for (const [ts, anchor] of [
    [t0, 'start'],
    [(t0 + t1) / 2, 'middle'],
    [t1, 'end'],
  ] as const)
    add('text', { x: x(ts), y: H - 6, class: 'axis', 'text-anchor': anchor, 'data-axis': 'time' }, clock(ts));
  return svg;
}

/** One cook's report: what an inspector asks for, laid out to print on A4. */
export function cookReportView(ctx: Ctx, id: string): View {
  const el = h('section', { 'aria-labelledby': 'report-title', class: 'report' }, h('h1', { id: 'report-title' }, `Cook report ${id}`));
  let shown = '';
  return {
    title: `Cook ${id}`,
    el,
    everyMs: () => 15_000,
    async refresh() {
      const r = await ctx.api.cook(id);
      const key = `${r.state}:${r.readings}:${r.endedTs}`;
      if (key === shown) return;
      shown = key;
      const fact = (label: string, value: string | Node, field: string) =>
        h('div', {}, h('dt', {}, label), h('dd', { 'data-field': field }, value));
      const leth = r.lethality;
      const csv = h('button', { type: 'button' }, 'Download raw readings (CSV)');
      csv.addEventListener('click', () => {
        void ctx.api
          .readingsCsv(r.deviceId, r.startedTs, r.endedTs ?? Date.now())
          .then((text) => {
            const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })), download: `${r.id}-readings.csv` });
            a.click();
            URL.revokeObjectURL(a.href);
          })
          .catch((e: Error) => ctx.error(e.message));
      });
      fill(
        el,
        h(
          'p',
          { class: 'no-print' },
          h('a', { href: '#/cooks' }, '← All cooks'),
          ' ',
          h('button', { type: 'button', onclick: () => window.print() }, 'Print'),
          ' ',
          csv,
        ),
        h('h1', { id: 'report-title' }, `Cook report: ${r.food.label ?? r.food.kind ?? 'cook'} on ${r.deviceId}`),
        h(
          'dl',
          { class: 'facts' },
          fact('Cook', r.id, 'id'),
          fact('Kit', r.gatewayId ? `${r.deviceId} (gateway ${r.gatewayId})` : r.deviceId, 'kit'),
          fact('Who', r.who.join(', ') || '—', 'who'),
          fact('Started', fullWhen(r.startedTs), 'started'),
          fact('Ended', r.endedTs === null ? 'still running' : fullWhen(r.endedTs), 'ended'),
          fact('State', r.state, 'state'),
          fact(
            'Food',
            [r.food.label, r.food.kind, r.food.shape, r.food.thicknessMm === null ? null : `${r.food.thicknessMm} mm`]
              .filter(Boolean)
              .join(' · ') || '—',
            'food',
          ),
          fact('Target', `${temp(r.targetC)}${r.durationMin === null ? '' : ` for ${r.durationMin} min`}`, 'target'),
          fact('Readings', `${r.readings} (${temp(r.minC)} – ${temp(r.maxC)})`, 'readings'),
          fact(`Time in the danger zone (${dangerZone()}, gaps included)`, duration(r.dangerZoneMs), 'danger'),
          fact(
            'Unobserved time (gaps of more than 2 min between readings)',
            r.gaps.length ? `${duration(r.gapMs)} in ${r.gaps.length} gap${r.gaps.length === 1 ? '' : 's'}` : 'none',
            'gaps',
          ),
          fact('Time at or above the target', duration(r.atOrAboveTargetMs), 'at-target'),
          fact('Food in (the water first ready)', r.foodInTs === null ? 'never' : when(r.foodInTs), 'food-in'),
          fact(
            'Lethality (modelled core, guidance)',
            leth === null
              ? 'no food kind and thickness named'
              : `${leth.pasteurized ? 'pasteurized' : 'not pasteurized'}${leth.pasteurizedTs ? ` at ${fullDateTime(leth.pasteurizedTs)}` : ''}: ${leth.pathogens
                  .map((p) => `${p.name} ${p.logs.toFixed(1)} of ${p.needed} log`)
                  .join('; ')} (core max ${temp(leth.coreMaxC)})`,
            'lethality',
          ),
        ),
        h('section', { class: 'card', 'aria-labelledby': 'curve-title' }, h('h2', { id: 'curve-title' }, 'Bath temperature'), curveSvg(r)),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'gaps-title' },
          h('h2', { id: 'gaps-title' }, 'Gaps in the readings'),
          r.gaps.length
            ? h(
                'ul',
                { 'data-field': 'gap-list' },
                ...r.gaps.map((g) =>
                  h(
                    'li',
                    {},
                    `${when(g.fromTs)} – ${when(g.toTs)} (${duration(g.toTs - g.fromTs)}): ${temp(g.fromC)} → ${temp(g.toC)}; no lethality credited`,
                  ),
                ),
              )
            : h('p', {}, 'None.'),
        ),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'changes-title' },
          h('h2', { id: 'changes-title' }, 'Spec versions'),
          h(
            'ul',
            { 'data-field': 'segments' },
            ...r.segments.map((g) => {
              const core = r.cores.find((c) => c.fromTs === g.fromTs);
              const l = core?.lethality;
              const food = [g.food.kind, g.food.shape, g.food.thicknessMm === null ? null : `${g.food.thicknessMm} mm`]
                .filter(Boolean)
                .join(' · ');
              return h(
                'li',
                {},
                `From ${when(g.fromTs)}: target ${temp(g.targetC)}${food ? `, ${food}` : ''}; at or above target ${duration(g.atOrAboveTargetMs)}`,
                g.newCore && r.segments.length > 1 && l
                  ? `; new core: ${l.pasteurized ? 'pasteurized' : 'not pasteurized'} (${Math.round(l.fraction * 100)} %)`
                  : '',
              );
            }),
          ),
        ),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'alarms-title' },
          h('h2', { id: 'alarms-title' }, 'Alarms'),
          r.alarms.length
            ? h('ul', {}, ...r.alarms.map((a) => h('li', {}, fullWhen(a.ts), ` ${a.severity}: ${describe(a)}`)))
            : h('p', {}, 'None.'),
        ),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'actions-title' },
          h('h2', { id: 'actions-title' }, 'Actions'),
          h(
            'table',
            {},
            h('thead', {}, h('tr', {}, ...['Time', 'Who', 'Action', 'Reason'].map((x) => h('th', { scope: 'col' }, x)))),
            h(
              'tbody',
              {},
              ...r.actions.map((a) =>
                h('tr', {}, h('td', {}, fullWhen(a.ts)), h('td', {}, a.actor), h('td', {}, a.action), h('td', {}, a.reason)),
              ),
            ),
          ),
        ),
        h(
          'p',
          { class: 'hint' },
          leth?.guidance ?? 'Lethality is modelled only for a named food kind and thickness (docs/food-safety.md).',
        ),
      );
    },
  };
}
