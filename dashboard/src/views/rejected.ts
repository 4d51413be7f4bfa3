import { fill, h } from '../dom.js';
import type { DeadLetter, RejectedApi } from '../model.js';
import { table, when } from './records.js';
import type { Ctx, View } from './view.js';

/**
 * Rejected messages (gateway only): the payloads that failed strict parsing, with the reason and
 * the bytes as sent, and the refused connections and topics. A kit developer whose messages
 * "vanish" finds out why here; a dead letter can be replayed with today's schema or deleted.
 */
export function rejectedView(ctx: Ctx, api: RejectedApi): View {
  const device = h('input', { id: 'rejected-device', type: 'text', placeholder: 'all kits', autocomplete: 'off' });
  const dead = table('Dead letters, newest first', ['Time', 'Kit', 'Topic', 'Why', 'Payload', 'Actions']);
  const sec = table('Security events, newest first', ['Time', 'Kit', 'From', 'What', 'Detail']);
  const status = h('p', { class: 'hint', role: 'status' });
  const el = h(
    'section',
    { 'aria-labelledby': 'rejected-title' },
    h('h1', { id: 'rejected-title' }, 'Rejected messages'),
    h(
      'p',
      { class: 'hint' },
      'Payloads that failed strict parsing are acknowledged to the kit (so it does not resend them forever) and kept here with the reason.',
    ),
    h('label', { for: 'rejected-device' }, 'Kit: '),
    device,
    status,
    h('h2', {}, 'Dead letters'),
    dead.el,
    h('h2', {}, 'Refused connections and topics'),
    sec.el,
  );
  let last = '';
  const act = async (what: string, run: () => Promise<void>) => {
    try {
      await run();
      status.textContent = what;
      last = '';
      await view.refresh();
    } catch (err) {
      ctx.error((err as Error).message);
    }
  };
  const row = (d: DeadLetter) =>
    h(
      'tr',
      { 'data-id': String(d.id) },
      h('td', {}, when(d.rxTs)),
      h('td', {}, d.deviceId ?? '—'),
      h('td', {}, d.topic),
      h('td', {}, h('code', {}, d.code), ' ', d.reason),
      h('td', {}, h('code', { class: 'payload' }, d.payload ?? `base64: ${d.payloadBase64 ?? ''}`)),
      h(
        'td',
        {},
        h('button', { type: 'button', onclick: () => act(`Dead letter ${d.id} replayed.`, () => api.replay(d.id)) }, 'Replay'),
        ' ',
        h('button', { type: 'button', onclick: () => act(`Dead letter ${d.id} deleted.`, () => api.purge(d.id)) }, 'Delete'),
      ),
    );
  const view: View = {
    title: 'Rejected messages',
    el,
    async refresh() {
      const q = { limit: 200, ...(device.value.trim() ? { device: device.value.trim() } : {}) };
      const [letters, events] = await Promise.all([api.deadLetters(q), api.securityEvents(q)]);
      const key = `${q.device ?? ''}:${letters[0]?.id}:${letters.length}:${events[0]?.id}:${events.length}`;
      if (key === last) return;
      last = key;
      fill(dead.body, ...(letters.length === 0 ? [h('tr', {}, h('td', { colspan: 6 }, 'Nothing rejected.'))] : letters.map(row)));
      fill(
        sec.body,
        ...(events.length === 0
          ? [h('tr', {}, h('td', { colspan: 5 }, 'No refusals.'))]
          : events.map((e) =>
              h(
                'tr',
                {},
                h('td', {}, when(e.ts)),
                h('td', {}, e.deviceId ?? '—'),
                h('td', {}, e.remote ?? '—'),
                h('td', {}, e.kind),
                h('td', {}, e.detail),
              ),
            )),
      );
    },
  };
  device.addEventListener('change', () => void view.refresh());
  return view;
}
