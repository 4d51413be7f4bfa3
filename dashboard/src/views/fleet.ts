import { activeAlarms, describe, reachedAt } from '../alarms.js';
import { fill, h, setText } from '../dom.js';
import { cookLabel, heater, onlineLabel, temp, timeLeft } from '../format.js';
import type { Kit } from '../model.js';
import type { Ctx, View } from './view.js';

interface Card {
  el: HTMLElement;
  fields: Record<string, HTMLElement>;
}

const FIELDS = [
  ['temp', 'Temperature'],
  ['target', 'Target'],
  ['heater', 'Heater'],
  ['status', 'Link'],
  ['cook', 'Cook'],
  ['left', 'Time left'],
  ['alarms', 'Alarms'],
] as const;

/**
 * Every kit as a card (a grid that becomes one column on a phone). Cards are kept and their
 * fields updated in place on each poll, so keyboard focus and screen-reader position survive.
 */
export function fleetView(ctx: Ctx): View {
  const list = h('ul', { class: 'fleet', 'aria-label': 'Kits' });
  const empty = h('p', { class: 'hint' }, 'Loading kits…');
  const el = h('section', { 'aria-labelledby': 'fleet-title' }, h('h1', { id: 'fleet-title' }, 'Kits'), empty, list);
  const cards = new Map<string, Card>();

  const card = (k: Kit): Card => {
    const fields: Record<string, HTMLElement> = {};
    const dl = h('dl', {});
    for (const [key, label] of FIELDS) {
      fields[key] = h('dd', { 'data-field': key });
      dl.append(h('div', {}, h('dt', {}, label), fields[key]));
    }
    const el = h(
      'li',
      { class: 'card kit', 'data-kit': k.id },
      h('h2', {}, h('a', { href: `#/kit/${encodeURIComponent(k.id)}` }, k.id)),
      dl,
    );
    return { el, fields };
  };

  return {
    title: 'Kits',
    el,
    // The cloud's device list has no cooks, so its fleet costs one request per kit: slow down
    // past 20 kits to stay well inside the per-key rate limit (600/min by default).
    everyMs: () => (ctx.api.kind === 'cloud' ? Math.max(2000, cards.size * 150) : 2000),
    async refresh() {
      const [kits, events] = await Promise.all([ctx.api.kits(), ctx.api.events({ limit: 300 })]);
      const alarms = activeAlarms(events);
      const now = Date.now();
      setText(empty, kits.length === 0 ? 'No kits yet: provision one with "sousvide device add".' : '');
      empty.hidden = kits.length > 0;
      const seen = new Set<string>();
      for (const k of kits) {
        seen.add(k.id);
        let c = cards.get(k.id);
        if (!c) {
          c = card(k);
          cards.set(k.id, c);
          list.append(c.el);
        }
        const f = c.fields as Record<(typeof FIELDS)[number][0], HTMLElement>;
        const link = onlineLabel(k, now);
        const a = alarms.get(k.id) ?? [];
        setText(f.temp, k.sensor && k.sensor !== 'ok' && k.tempC === null ? `probe: ${k.sensor}` : temp(k.tempC));
        setText(f.target, k.cook && k.cook.state !== 'stopped' ? temp(k.cook.targetC) : '—');
        setText(f.heater, heater(k));
        setText(f.status, link.text);
        f.status.className = link.ok ? 'ok' : 'bad';
        setText(f.cook, cookLabel(k.cook));
        setText(f.left, timeLeft(k.cook, k.cook ? reachedAt(events, k.id, k.cook.startedTs) : null, now));
        const alarmText = a.length === 0 ? 'none' : a.map(describe).join(' ');
        if (f.alarms.textContent !== alarmText) fill(f.alarms, alarmText);
        f.alarms.className = a.length > 0 ? 'bad' : 'ok';
        c.el.classList.toggle('alarm', a.length > 0);
        c.el.classList.toggle('offline', !link.ok);
      }
      for (const [id, c] of cards) {
        if (!seen.has(id)) {
          c.el.remove();
          cards.delete(id);
        }
      }
    },
  };
}
