import { fill, h } from '../dom.js';
import { dateTime } from '../format.js';
import type { NotificationDelivery, NotificationsApi } from '../model.js';
import { channelsSection } from './notify-channels.js';
import type { Ctx, View } from './view.js';

const when = (ts: number | null) => (ts === null ? '—' : h('time', { datetime: new Date(ts).toISOString() }, dateTime(ts)));
const STATE: Record<NotificationDelivery['state'], string> = { sent: 'delivered', pending: 'waiting to retry', failed: 'given up' };

/**
 * Notifications: the last delivery attempts per channel (webhook, ntfy, e-mail) with their state,
 * attempts and last error, so that an operator sees a receiver that is down. On the cloud the
 * org's channels are managed here too (channelsSection); the gateway's come from its config.
 */
export function notificationsView(ctx: Ctx, api: NotificationsApi): View {
  const device = h('input', { id: 'notifications-device', type: 'text', placeholder: 'all kits', autocomplete: 'off' });
  const channels = h('p', { class: 'hint', 'data-field': 'channels' });
  const body = h('tbody', {});
  const managed = api.channels ? channelsSection(ctx, api.channels, () => void view.refresh()) : null;
  const caption = 'Deliveries, newest first';
  const el = h(
    'section',
    { 'aria-labelledby': 'notifications-title' },
    h('h1', { id: 'notifications-title' }, 'Notifications'),
    channels,
    ...(managed ? [managed.el, h('h2', {}, 'Last attempts')] : []),
    h('label', { for: 'notifications-device' }, 'Kit: '),
    device,
    h(
      'div',
      { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
      h(
        'table',
        {},
        h('caption', {}, caption),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Time', 'Kit', 'Message', 'Channel', 'State', 'Attempts', 'Last attempt', 'Last error'].map((x) =>
              h('th', { scope: 'col' }, x),
            ),
          ),
        ),
        body,
      ),
    ),
  );
  let last = '';
  const row = (d: NotificationDelivery) =>
    h(
      'tr',
      { 'data-id': String(d.id), 'data-state': d.state },
      h('td', {}, when(Date.parse(d.notification.at))),
      h('td', {}, d.notification.deviceId ?? '—'),
      h('td', {}, h('strong', {}, d.notification.severity), ' ', d.notification.text),
      h('td', {}, d.channel),
      h('td', {}, STATE[d.state], ...(d.state === 'pending' && d.nextAttemptTs !== null ? [' (next ', when(d.nextAttemptTs), ')'] : [])),
      h('td', {}, String(d.attempts)),
      h('td', {}, when(d.lastAttemptTs)),
      h('td', {}, d.lastError ?? '—'),
    );
  const view: View = {
    title: 'Notifications',
    el,
    async refresh() {
      const q = { limit: 200, ...(device.value.trim() ? { device: device.value.trim() } : {}) };
      const [r] = await Promise.all([api.list(q), managed?.refresh()]);
      const key = `${q.device ?? ''}:${r.channels.join(',')}:${r.items.map((i) => `${i.id}/${i.state}/${i.attempts}`).join(',')}`;
      if (key === last) return;
      last = key;
      channels.textContent = managed
        ? "The org's notifications go to its channels; each is retried with backoff until its receiver accepts it."
        : r.channels.length === 0
          ? 'No channel is configured (notify.webhookUrl, notify.ntfyUrl, notify.smtpUrl; see docs/notifications.md).'
          : `Channels: ${r.channels.join(', ')}. Each notification is retried with backoff until its receiver accepts it.`;
      fill(body, ...(r.items.length === 0 ? [h('tr', {}, h('td', { colspan: 8 }, 'No notifications yet.'))] : r.items.map(row)));
    },
  };
  device.addEventListener('change', () => void view.refresh());
  return view;
}
