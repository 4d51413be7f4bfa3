import type { Test } from 'tap';
import { api, type RunningCloud } from './servers.js';

/**
 * Adds a webhook channel (its signing secret) and an e-mail channel (an SMTP password) to the org
 * of `admin`: the two kinds whose configs hold a secret. Returns their ids, webhook first.
 */
export async function addSecretChannels(
  t: Test,
  c: RunningCloud,
  admin: string,
  s: { hookUrl: string; secret: string; smtpPass: string },
): Promise<[webhook: string, email: string]> {
  const wh = await api(c.base, 'POST', '/v1/notifications/channels', admin, { kind: 'webhook', url: s.hookUrl, secret: s.secret });
  t.equal(wh.status, 201, 'the webhook channel is added');
  const mail = await api(c.base, 'POST', '/v1/notifications/channels', admin, {
    kind: 'email',
    smtpUrl: `smtp://cook:${s.smtpPass}@127.0.0.1:2525`,
    to: ['cook@example.org'],
  });
  t.equal(mail.status, 201, 'the e-mail channel is added');
  return [wh.body.id as string, mail.body.id as string];
}
