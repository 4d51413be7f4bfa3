import { activeAlarms, describe, reachedAt } from '../alarms.js';
import { fill, h, setText } from '../dom.js';
import { cookLabel, heater, onlineLabel, temp, timeLeft } from '../format.js';
import type { EventItem, Kit } from '../model.js';
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

  let lastEvents: EventItem[] = [];
  let alarms = new Map<string, EventItem[]>();
  const known = new Map<string, Kit>();
  const paint = (k: Kit, now: number) => {
    known.set(k.id, k);
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
    setText(f.left, timeLeft(k.cook, k.cook ? reachedAt(lastEvents, k.id, k.cook.startedTs) : null, now));
    const alarmText = a.length === 0 ? 'none' : a.map(describe).join(' ');
    if (f.alarms.textContent !== alarmText) fill(f.alarms, alarmText);
    f.alarms.className = a.length > 0 ? 'bad' : 'ok';
    c.el.classList.toggle('alarm', a.length > 0);
    c.el.classList.toggle('offline', !link.ok);
  };

  return {
    title: 'Kits',
    el,
    // The cloud's device list has no cooks, so its fleet costs one request per kit: slow down
    // past 20 kits to stay well inside the per-key rate limit (600/min by default).
    everyMs: () => (ctx.api.kind === 'cloud' ? Math.max(2000, cards.size * 150) : 2000),
    // A reading is applied in place; anything else (a new kit, a cook, an event) asks for a refresh.
    live(m) {
      const k = m.event === 'reading' ? known.get(m.data?.deviceId) : undefined;
      if (!k) return false;
      const r = m.data as { rxTs: number; tempC: number | null; sensor: string; heater: boolean; boot: number; seq: number };
      paint(
        { ...k, online: true, tempC: r.tempC, sensor: r.sensor, heater: r.heater, lastTs: r.rxTs, readingKey: `${r.boot}:${r.seq}` },
        Date.now(),
      );
      return true;
    },
    async refresh() {
      const [kits, events] = await Promise.all([ctx.api.kits(), ctx.api.events({ limit: 300 })]);
      lastEvents = events;
      alarms = activeAlarms(events);
      setText(empty, kits.length === 0 ? 'No kits yet: provision one with "sousvide device add".' : '');
      empty.hidden = kits.length > 0;
      const seen = new Set<string>();
      for (const k of kits) {
        seen.add(k.id);
        paint(k, Date.now());
      }
      for (const [id, c] of cards) {
        if (!seen.has(id)) {
          c.el.remove();
          cards.delete(id);
          known.delete(id);
        }
      }
    },
  };
}
