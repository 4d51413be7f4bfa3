import { type Notification, notificationTitle, ntfyStyle } from '../message.js';
import type { Channel, Fetch } from './channel.js';
import { postNotification } from './http-post.js';

/**
 * ntfy: a plain HTTP publish to the topic URL; the text is the message, and Title, Priority and
 * Tags come from the severity. Credentials in the URL go as basic auth. `X-Sousvide-Id` carries
 * the idempotency key for receivers that dedupe (ntfy itself shows a resent one twice).
 */
export class NtfyChannel implements Channel {
  readonly name = 'ntfy';
  private readonly url: string;
  private readonly auth: string | undefined;

  constructor(
    private readonly topicUrl: string,
    private readonly fetchImpl: Fetch = fetch,
  ) {
    const u = new URL(topicUrl);
    this.auth =
      u.username !== ''
        ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`
        : undefined;
    u.username = '';
    u.password = '';
    this.url = u.toString();
  }

  async send(n: Notification): Promise<void> {
    const style = ntfyStyle(n.severity);
    await postNotification(
      this.fetchImpl,
      this.url,
      {
        method: 'POST',
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          Title: notificationTitle(n),
          Priority: String(style.priority),
          Tags: style.tags.join(','),
          'X-Sousvide-Id': n.id,
          ...(this.auth ? { Authorization: this.auth } : {}),
        },
        body: n.text,
      },
      this.topicUrl,
    );
  }
}
