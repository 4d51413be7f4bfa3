import { fill, h } from '../dom.js';
import { dateTime } from '../format.js';
import type { AlarmItem } from '../model.js';
import type { Ctx, View } from './view.js';

/**
 * Alarms with their lifecycle (ADR 035), the same page on the cloud and the gateway: what happened
 * in plain language, its state, who acknowledged it and when, what cleared it, and an Acknowledge
 * button with an optional note. An acknowledgement made on one side shows on the other once the
 * relay carried it (docs/sync.md): the stream's `alarmState` message refreshes the list.
 */
const when = (ts: number | null) => (ts === null ? '—' : h('time', { datetime: new Date(ts).toISOString() }, dateTime(ts)));
const STATE: Record<AlarmItem['state'], string> = { open: 'Open', acknowledged: 'Acknowledged', cleared: 'Cleared' };
const HOW: Record<string, string> = {
  over_temp_cleared: 'the water cooled down',
  sensor_ok: 'the probe reads again',
  fail_safe_released: 'the fail-safe was released',
  online: 'the kit is back online',
  kit_steady: "the kit's heater flag is steady again",
  stopped: 'the cook was stopped',
  heating: 'a new cook started',
};

export function alarmsView(ctx: Ctx): View {
  const filter = h(
    'select',
    { id: 'alarms-state' },
    h('option', { value: '' }, 'All'),
    ...(['open', 'acknowledged', 'cleared'] as const).map((s) => h('option', { value: s }, STATE[s])),
  );
  const body = h('tbody', {});
  const caption = 'Alarms, newest first';
  const heads = ['Raised', 'Kit', 'Severity', 'What happened', 'State', 'Acknowledged', 'Cleared', 'Acknowledge'];
  const el = h(
    'section',
    { 'aria-labelledby': 'alarms-title' },
    h('h1', { id: 'alarms-title' }, 'Alarms'),
    h(
      'p',
      { class: 'hint' },
      'Acknowledging says someone has seen the alarm: its reminders stop. It stays until its cause is gone (the probe reads again, the water cools, the cook ends).',
    ),
    h('label', { for: 'alarms-state' }, 'Show: '),
    filter,
    h(
      'div',
      { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
      h('table', {}, h('caption', {}, caption), h('thead', {}, h('tr', {}, ...heads.map((x) => h('th', { scope: 'col' }, x)))), body),
    ),
  );
  let last = '';
  let refresh: () => Promise<void>;

  const ackCell = (a: AlarmItem) => {
    if (a.acknowledgedAt !== null) return h('td', {}, '—');
    if (ctx.readOnly) return h('td', { 'data-field': 'ack-readonly' }, 'Not with your role (viewer)');
    const noteId = `alarm-note-${a.id}`;
    const note = h('input', { id: noteId, type: 'text', maxlength: 500, placeholder: 'optional', autocomplete: 'off' });
    const button = h('button', { type: 'button', 'data-action': 'ack' }, 'Acknowledge');
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await ctx.api.alarms.acknowledge(a.id, note.value.trim() || undefined);
        last = '';
        await refresh();
      } catch (err) {
        ctx.error(`Could not acknowledge: ${(err as Error).message}`);
        button.disabled = false;
      }
    });
    return h('td', {}, h('label', { for: noteId }, 'Note: '), note, ' ', button);
  };
  const row = (a: AlarmItem) =>
    h(
      'tr',
      { 'data-id': a.id, 'data-state': a.state, class: a.state === 'open' ? 'alarm' : '' },
      h('td', {}, when(a.raisedAt)),
      h('td', {}, a.deviceId ? h('a', { href: `#/kit/${encodeURIComponent(a.deviceId)}` }, a.deviceId) : '(gateway)'),
      h('td', {}, a.severity),
      h('td', {}, a.text),
      h('td', { 'data-field': 'state' }, STATE[a.state]),
      h(
        'td',
        { 'data-field': 'acknowledged' },
        ...(a.acknowledgedAt === null
          ? ['—']
          : [`by ${a.acknowledgedBy ?? '?'}, `, when(a.acknowledgedAt), a.note ? ` — “${a.note}”` : '']),
      ),
      h('td', {}, ...(a.clearedAt === null ? ['—'] : [when(a.clearedAt), a.how ? ` (${HOW[a.how] ?? a.how.replaceAll('_', ' ')})` : ''])),
      ackCell(a),
    );

  refresh = async () => {
    const state = filter.value as AlarmItem['state'] | '';
    const items = await ctx.api.alarms.list({ limit: 200, ...(state ? { state } : {}) });
    // Redrawn only when something changed, so a note being typed is not wiped by the poll.
    const key = JSON.stringify(items);
    if (key === last) return;
    last = key;
    fill(body, ...(items.length === 0 ? [h('tr', {}, h('td', { colspan: heads.length }, 'No alarms.'))] : items.map(row)));
  };
  filter.addEventListener('change', () => {
    last = '';
    void refresh().catch((err: Error) => ctx.error(err.message));
  });
  return {
    title: 'Alarms',
    el,
    refresh: () => refresh(),
    // Live: an alarm raised, or a step of one (acknowledged here or on the other side, cleared),
    // refreshes the list; readings, link and cook changes do not concern it. Not polled while live.
    live: (m) => m.event !== 'alarm' && m.event !== 'alarmState',
  };
}
