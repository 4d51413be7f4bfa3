import { fill, h } from '../dom.js';
import type { ChannelsApi, NewChannel, NotifyChannel } from '../model.js';
import type { Ctx } from './view.js';

/**
 * The org's notification channels on the cloud (an org admin's): the list, an add form (webhook
 * with its secret, ntfy topic URL, or SMTP URL and recipients), remove, and a test message. The
 * API checks every field again; its error, naming the field, goes to the page's alert region.
 * A user without the admin role sees why instead of the form.
 */
export function channelsSection(ctx: Ctx, api: ChannelsApi, changed: () => void) {
  const status = h('p', { class: 'hint', role: 'status', 'data-field': 'channel-status' });
  const body = h('tbody', {});
  const kind = h(
    'select',
    { id: 'channel-kind', name: 'kind' },
    h('option', { value: 'webhook' }, 'Webhook (signed JSON POST)'),
    h('option', { value: 'ntfy' }, 'ntfy topic'),
    h('option', { value: 'email' }, 'E-mail (SMTP)'),
  );
  const url = h('input', { id: 'channel-url', name: 'url', type: 'url', autocomplete: 'off', placeholder: 'https://…' });
  const secret = h('input', { id: 'channel-secret', name: 'secret', type: 'password', minlength: 16, autocomplete: 'new-password' });
  const to = h('input', { id: 'channel-to', name: 'to', type: 'text', autocomplete: 'off', placeholder: 'cook@example.org, …' });
  const row = (id: string, label: string, input: HTMLElement) =>
    h('div', { class: 'row', 'data-for': id }, h('label', { for: id }, label), input);
  const secretRow = row('channel-secret', 'Secret (at least 16 characters; the receiver verifies the signature with it)', secret);
  const toRow = row('channel-to', 'Recipients (comma-separated)', to);
  const urlLabel = h('label', { for: 'channel-url' }, 'URL');
  const shape = () => {
    secretRow.hidden = kind.value !== 'webhook';
    toRow.hidden = kind.value !== 'email';
    urlLabel.textContent =
      kind.value === 'email' ? 'SMTP URL (smtp://user:pass@host:587 or smtps://…)' : kind.value === 'ntfy' ? 'Topic URL' : 'URL';
  };
  kind.addEventListener('change', shape);
  shape();
  const spec = (): NewChannel => {
    if (kind.value === 'webhook') return { kind: 'webhook', url: url.value.trim(), secret: secret.value };
    if (kind.value === 'ntfy') return { kind: 'ntfy', url: url.value.trim() };
    const list = to.value
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    return { kind: 'email', smtpUrl: url.value.trim(), to: list };
  };
  const act = async (done: string, run: () => Promise<unknown>) => {
    try {
      ctx.error(null);
      await run();
      status.textContent = done;
      await refresh();
      changed();
    } catch (err) {
      ctx.error(
        (err as Error).message +
          ((err as { details?: string[] }).details?.length ? `: ${(err as { details: string[] }).details.join('; ')}` : ''),
      );
    }
  };
  const form = h(
    'form',
    { class: 'channel-form', 'aria-label': 'Add a channel' },
    h('div', { class: 'row' }, h('label', { for: 'channel-kind' }, 'Kind'), kind),
    h('div', { class: 'row' }, urlLabel, url),
    secretRow,
    toRow,
    h('button', { type: 'submit' }, 'Add channel'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void act('Channel added.', async () => {
      await api.add(spec());
      url.value = '';
      secret.value = '';
      to.value = '';
    });
  });
  const test = h('button', { type: 'button', id: 'channel-test' }, 'Send a test notification');
  test.addEventListener('click', () => void act('Test notification queued: see its attempts below.', () => api.test()));
  const target = (c: NotifyChannel) =>
    'sealed' in c
      ? c.url
      : c.kind === 'email'
        ? `${c.to.join(', ')} via ${c.smtpUrl}`
        : c.kind === 'webhook'
          ? `${c.url} (secret ${c.secretSet ? 'set' : 'missing'})`
          : c.url;
  const line = (c: NotifyChannel) =>
    h(
      'tr',
      { 'data-id': c.id, 'data-kind': c.kind },
      h('td', {}, c.kind),
      h('td', {}, h('code', {}, target(c))),
      h('td', {}, h('button', { type: 'button', onclick: () => act(`Channel ${c.id} removed.`, () => api.remove(c.id)) }, 'Remove')),
    );
  const table = h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': "The org's channels" },
    h(
      'table',
      {},
      h('caption', {}, "The org's channels"),
      h('thead', {}, h('tr', {}, ...['Kind', 'Where to', ''].map((x) => h('th', { scope: 'col' }, x)))),
      body,
    ),
  );
  const el = h(
    'section',
    { 'aria-labelledby': 'channels-title' },
    h('h2', { id: 'channels-title' }, 'Channels'),
    table,
    test,
    form,
    status,
  );
  let last: string | null = null;
  async function refresh(): Promise<void> {
    let list: NotifyChannel[];
    try {
      list = await api.list();
    } catch (err) {
      if ((err as { status?: number }).status !== 403) throw err;
      fill(
        el,
        h('h2', { id: 'channels-title' }, 'Channels'),
        h('p', { class: 'hint' }, "Only an admin of the org sees and changes the org's channels."),
      );
      return;
    }
    const key = list.map((c) => c.id).join(',');
    if (key === last) return;
    last = key;
    test.disabled = list.length === 0;
    fill(body, ...(list.length === 0 ? [h('tr', {}, h('td', { colspan: 3 }, 'No channel yet: add one below.'))] : list.map(line)));
  }
  return { el, refresh };
}
