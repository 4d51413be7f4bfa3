import { activeAlarms, alarmLine, describe, isAlarm } from '../alarms.js';
import { fill, h } from '../dom.js';
import { dateTime, duration } from '../format.js';
import type { Ctx, View } from './view.js';

export const when = (ts: number) => h('time', { datetime: new Date(ts).toISOString() }, dateTime(ts));
export const table = (caption: string, heads: string[]) => {
  const body = h('tbody', {});
  const el = h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h('table', {}, h('caption', {}, caption), h('thead', {}, h('tr', {}, ...heads.map((x) => h('th', { scope: 'col' }, x)))), body),
  );
  return { el, body };
};

/**
 * Active alarms (the API's: GET /v1/alarms, open or acknowledged) and the event log. Read-only:
 * alarms are acknowledged on the Alarms page (views/alarms-page.ts).
 */
export function eventsView(ctx: Ctx): View {
  const active = h('ul', { class: 'alarms', 'aria-label': 'Active alarms' });
  const log = table('Events, newest first', ['Time', 'Kit', 'Severity', 'What']);
  const el = h(
    'section',
    { 'aria-labelledby': 'events-title' },
    h('h1', { id: 'events-title' }, 'Alarms and events'),
    h('section', { class: 'card', 'aria-labelledby': 'active-title' }, h('h2', { id: 'active-title' }, 'Active alarms'), active),
    h(
      'p',
      { class: 'hint' },
      'Alarms not cleared yet; acknowledge them on the Alarms page. An alarm clears when its cause clears (probe back, temperature back) or its cook ends.',
    ),
    log.el,
  );
  let last: string | undefined;
  return {
    title: 'Alarms and events',
    el,
    // Live: every event the page lists arrives on the stream (`event`, `alarm`) and refreshes it,
    // as does a step of an alarm (`alarmState`: acknowledged, cleared); forecasts (not listed),
    // readings and link or cook changes do not. Not polled while live.
    live: (m) => !((m.event === 'event' && m.data?.type !== 'forecast') || m.event === 'alarm' || m.event === 'alarmState'),
    async refresh() {
      const [all, byKit] = await Promise.all([ctx.api.events({ limit: 300 }), activeAlarms(ctx.api.alarms)]);
      const events = all.filter((e) => e.type !== 'forecast');
      const alarms = [...byKit].flatMap(([dev, list]) => list.map((a) => ({ dev, a })));
      const key = `${events[0]?.id}:${events.length}:${JSON.stringify(alarms)}:${Math.floor(Date.now() / 60_000)}`;
      if (key === last) return;
      last = key;
      const now = Date.now();
      fill(
        active,
        ...(alarms.length === 0
          ? [h('li', { class: 'ok' }, 'No active alarms.')]
          : alarms.map(({ dev, a }) =>
              h(
                'li',
                { class: 'alarm', 'data-kit': dev, 'data-type': a.type, 'data-id': a.id },
                h('strong', {}, dev === '(gateway)' ? dev : h('a', { href: `#/kit/${encodeURIComponent(dev)}` }, dev)),
                ` ${alarmLine(a)}, ${duration(now - a.raisedAt)} ago`,
              ),
            )),
      );
      fill(
        log.body,
        ...events.map((e) =>
          h(
            'tr',
            { class: isAlarm(e) ? 'alarm' : '' },
            h('td', {}, when(e.ts)),
            h('td', {}, e.deviceId ?? '—'),
            h('td', {}, e.severity),
            h('td', {}, describe(e)),
          ),
        ),
      );
    },
  };
}

/** The audit log: who did what, when and why (docs/design.md invariant 4). */
export function auditView(ctx: Ctx): View {
  const log = table('Audit log, newest first', ['Time', 'Who', 'Kit', 'Action', 'Why']);
  const el = h('section', { 'aria-labelledby': 'audit-title' }, h('h1', { id: 'audit-title' }, 'Audit log'), log.el);
  let last: string | undefined;
  return {
    title: 'Audit log',
    el,
    async refresh() {
      const items = await ctx.api.audit({ limit: 200 });
      const key = `${items[0]?.id}:${items.length}`;
      if (key === last) return;
      last = key;
      fill(
        log.body,
        ...items.map((a) =>
          h(
            'tr',
            {},
            h('td', {}, when(a.ts)),
            h('td', {}, a.actor),
            h('td', {}, a.deviceId ?? '—'),
            h('td', {}, a.action),
            h('td', {}, a.reason),
          ),
        ),
      );
    },
  };
}

/** Cloud: every gateway with its reported backlog; gateway: its relay link to the cloud. */
export function linksView(ctx: Ctx): View {
  const what = ctx.api.kind === 'cloud' ? 'Gateways' : 'Cloud link';
  const log = table(what, ['Name', 'Link', 'Backlog (records)', 'Backlog (bytes)', 'Oldest waiting', 'Last contact', 'Detail']);
  const note = h('p', { class: 'hint' });
  const el = h('section', { 'aria-labelledby': 'links-title' }, h('h1', { id: 'links-title' }, what), note, log.el);
  return {
    title: what,
    el,
    async refresh() {
      const links = await ctx.api.links();
      const now = Date.now();
      note.textContent = links.length === 0 ? 'This gateway runs offline (no cloud URL configured).' : '';
      fill(
        log.body,
        ...links.map((l) =>
          h(
            'tr',
            {},
            h('td', {}, l.name),
            h('td', { class: l.up ? 'ok' : 'bad' }, l.state),
            h('td', {}, l.backlogRecords ?? '—'),
            h('td', {}, l.backlogBytes ?? '—'),
            h('td', {}, l.oldestAgeMs === null ? '—' : duration(l.oldestAgeMs)),
            h('td', {}, l.lastSeenTs === null ? 'never' : `${duration(now - l.lastSeenTs)} ago`),
            h('td', {}, l.detail ?? ''),
          ),
        ),
      );
    },
  };
}
