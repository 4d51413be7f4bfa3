import type { Notification } from '../message.js';
import { SIGNATURE_HEADER, signBody } from '../signature.js';
import type { Channel, Fetch } from './channel.js';
import { postNotification } from './http-post.js';

/**
 * Webhook: the notification as a JSON POST, signed with HMAC-SHA256 over "<t>.<raw body>"
 * (shared/notify/signature.ts; docs/notifications.md shows a receiver's check).
 */
export class WebhookChannel implements Channel {
  readonly name = 'webhook';

  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly nowS: () => number = () => Math.floor(Date.now() / 1000),
    private readonly fetchImpl: Fetch = fetch,
  ) {}

  async send(n: Notification): Promise<void> {
    const body = JSON.stringify({ id: n.id, type: n.type, severity: n.severity, deviceId: n.deviceId, at: n.at, text: n.text });
    await postNotification(this.fetchImpl, this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(this.secret, body, this.nowS()) },
      body,
      redirect: 'error', // a redirect would turn the POST into a GET elsewhere: a configuration error
    });
  }
}
