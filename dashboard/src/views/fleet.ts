import { activeAlarms, alarmLine } from '../alarms.js';
import { fill, h, setText } from '../dom.js';
import { cookLabel, heater, onlineLabel, reading, stale, temp, timeLeft } from '../format.js';
import type { AlarmItem, Kit } from '../model.js';
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
 * Alarms are the API's active ones (GET /v1/alarms), refreshed on the stream's alarm messages;
 * time-based fields are redrawn every second; an offline or silent kit's values are marked stale.
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

  let alarms = new Map<string, AlarmItem[]>();
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
    setText(f.temp, reading(k, now));
    setText(f.target, k.cook && k.cook.state !== 'stopped' ? temp(k.cook.targetC) : '—');
    setText(f.heater, heater(k, now));
    f.temp.classList.toggle('stale', stale(k, now));
    f.heater.classList.toggle('stale', stale(k, now));
    setText(f.status, link.text);
    f.status.className = link.ok ? 'ok' : 'bad';
    setText(f.cook, cookLabel(k.cook));
    setText(f.left, timeLeft(k, now));
    const alarmText = a.length === 0 ? 'none' : a.map(alarmLine).join(' ');
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
    tick(now) {
      for (const k of known.values()) paint(k, now);
    },
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
      const [kits, active] = await Promise.all([ctx.api.kits(), activeAlarms(ctx.api.alarms)]);
      alarms = active;
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
