import { describe, isAlarm } from '../alarms.js';
import { fill, h, setText } from '../dom.js';
import {
  cookLabel,
  dateTime,
  doneText,
  duration,
  heater,
  onlineLabel,
  reading,
  readyText,
  safeText,
  stale,
  temp,
  timeLeft,
} from '../format.js';
import type { Kit } from '../model.js';
import { dangerZone } from '../units.js';
import { historyChart, liveChart } from './charts.js';
import { cookForm } from './cook-form.js';
import type { Ctx, View } from './view.js';

const FIELDS = [
  ['temp', 'Temperature'],
  ['target', 'Target'],
  ['heater', 'Heater'],
  ['status', 'Link'],
  ['probe', 'Probe'],
  ['cook', 'Cook'],
  ['left', 'Time left'],
  ['ready', 'Water ready at'],
  ['done', 'Cook done at'],
  ['safe', 'Food safe at (pasteurized core, guidance)'],
  ['danger', 'Time in the danger zone'],
  ['actuator', 'Button presses confirmed'],
] as const;
type Field = (typeof FIELDS)[number][0];

/** One kit: live state and chart, the cook controls, history (cloud) and the kit's recent events. */
export function kitView(ctx: Ctx, id: string): View {
  const { api } = ctx;
  const fields = {} as Record<Field, HTMLElement>;
  const dl = h('dl', { class: 'facts' });
  for (const [key, label] of FIELDS) {
    fields[key] = h('dd', { 'data-field': key });
    dl.append(h('div', {}, h('dt', {}, key === 'danger' ? `${label} (${dangerZone()})` : label), fields[key]));
  }
  const live = liveChart(`Live temperature of ${id}`);
  // A refusal is shown by the form itself, naming the field, until the user acts again.
  const form = cookForm({
    kit: id,
    readOnly: ctx.readOnly,
    // Refreshed after the answer, whatever it was: a change whose outcome is unknown (a proxy's
    // 502, a dropped connection) may have been made, and the page then shows what the API holds.
    start: (spec) => api.startCook(id, spec).finally(() => refresh().catch(() => {})),
    stop: () => api.stopCook(id).finally(() => refresh().catch(() => {})),
  });
  const history = api.history
    ? historyChart(
        (f, t, e) => (api.history as NonNullable<typeof api.history>)(id, f, t, e),
        (e) => ctx.error(e.message),
        api.kind === 'cloud' ? 'the cloud store' : "this gateway's own store",
      )
    : null;
  const events = h('ol', { class: 'events', 'aria-label': `Recent events of ${id}` });
  const el = h(
    'section',
    { 'aria-labelledby': 'kit-title', class: 'kit-page' },
    h('p', {}, h('a', { href: '#/' }, '← All kits')),
    h('h1', { id: 'kit-title' }, id),
    h('div', { class: 'columns' }, h('div', { class: 'card' }, dl), h('div', { class: 'card' }, form.el)),
    h('section', { class: 'card', 'aria-labelledby': 'live-title' }, h('h2', { id: 'live-title' }, 'Live'), live.el),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'history-title' },
      h('h2', { id: 'history-title' }, 'History'),
      history?.el ?? h('p', { class: 'hint' }, 'No history here.'),
    ),
    h('section', { class: 'card', 'aria-labelledby': 'kit-events-title' }, h('h2', { id: 'kit-events-title' }, 'Events'), events),
  );

  // Opened mid-cook: the live window starts with the last 10 minutes from the store (temperature,
  // target steps, heater), then takes live readings after them. Every refresh waits for it: one
  // started by a stream message while the history is still loading must not put a live point in
  // front of the seed (the chart would miss the heater's earlier runs).
  let seeding: Promise<void> | undefined;
  const seed = async () => {
    if (api.presets) form.setPresets(await api.presets().catch(() => []));
    if (api.history) {
      const now = Date.now();
      live.seed(await api.history(id, now - 600_000, now - 5_000, 5_000).catch(() => []));
      void history?.show(now - 3_600_000, now);
    }
  };
  let lastKey: string | null = null;
  let lastEventId: string | undefined;
  const show = (k: Kit, now = Date.now()) => {
    const link = onlineLabel(k, now);
    const active = k.cook && k.cook.state !== 'stopped' ? k.cook : null;
    setText(fields.temp, reading(k, now));
    setText(fields.target, active ? temp(active.targetC) : '—');
    setText(fields.heater, heater(k, now));
    fields.temp.classList.toggle('stale', stale(k, now));
    fields.heater.classList.toggle('stale', stale(k, now));
    setText(fields.status, link.text);
    fields.status.className = link.ok ? 'ok' : 'bad';
    setText(fields.probe, k.sensor ?? '—');
    fields.probe.className = k.sensor === null || k.sensor === 'ok' ? 'ok' : 'bad';
    setText(fields.cook, cookLabel(k.cook));
    setText(fields.left, timeLeft(k, now));
    setText(fields.ready, readyText(k.outcome, k.cook, now));
    setText(fields.done, doneText(k.outcome, k.cook, now));
    setText(fields.safe, safeText(k.outcome, k.cook, now));
    fields.safe.className = k.outcome.safety?.never ? 'bad' : k.outcome.safety?.pasteurized ? 'ok' : '';
    setText(fields.danger, k.dangerZoneMs === null ? 'reported by the gateway only' : duration(k.dangerZoneMs));
    const a = k.actuator;
    setText(
      fields.actuator,
      a === null
        ? 'reported by the gateway only'
        : a.judged === 0
          ? a.presses === 0
            ? 'no presses yet'
            : `${a.presses} presses sent, none judged yet`
          : `${a.confirmed} of ${a.judged} judged (${Math.round((a.successRate ?? 0) * 100)} %)`,
    );
    fields.actuator.className = a && a.successRate !== null && a.successRate < 0.8 ? 'bad' : '';
    form.setRunning(active);
  };

  let lastKit: Kit | null = null;
  const point = (k: Kit) => {
    if (k.readingKey !== null && k.readingKey !== lastKey && k.lastTs !== null && (live.lastTs === null || k.lastTs > live.lastTs)) {
      lastKey = k.readingKey;
      const target =
        k.cook && (k.cook.state === 'heating' || k.cook.state === 'holding' || k.cook.state === 'done') ? k.cook.targetC : null;
      live.push(k.lastTs, k.tempC, target, k.heater === true);
    }
  };

  async function refresh() {
    seeding ??= seed();
    const [k, all] = await Promise.all([api.kit(id), api.events({ device: id, limit: 50 })]);
    await seeding;
    const evs = all.filter((e) => e.type !== 'forecast');
    lastKit = k;
    point(k);
    show(k);
    if (evs[0]?.id !== lastEventId) {
      lastEventId = evs[0]?.id;
      fill(
        events,
        ...evs
          .slice(0, 20)
          .map((e) =>
            h(
              'li',
              { class: isAlarm(e) ? 'alarm' : e.severity },
              h('time', { datetime: new Date(e.ts).toISOString() }, dateTime(e.ts)),
              ` ${e.severity}: ${describe(e)}`,
            ),
          ),
      );
      if (evs.length === 0) fill(events, h('li', {}, 'No events yet.'));
    }
  }

  return {
    title: id,
    el,
    refresh,
    // This kit's readings are applied in place (another kit's are no concern); its other messages ask for a refresh.
    live(m) {
      if (m.data?.deviceId !== id) return true;
      if (m.event !== 'reading' || lastKit === null) return false;
      const r = m.data as { rxTs: number; tempC: number | null; sensor: string; heater: boolean; boot: number; seq: number };
      lastKit = {
        ...lastKit,
        online: true,
        tempC: r.tempC,
        sensor: r.sensor,
        heater: r.heater,
        lastTs: r.rxTs,
        readingKey: `${r.boot}:${r.seq}`,
      };
      point(lastKit);
      show(lastKit);
      return true;
    },
    tick(now) {
      if (lastKit) show(lastKit, now);
    },
    dispose() {
      live.dispose();
      history?.dispose();
    },
  };
}
