import { hostname } from 'node:os';
import type { Channel } from '../../../shared/notify/channels/channel.js';
import { EmailChannel } from '../../../shared/notify/channels/email.js';
import { NtfyChannel } from '../../../shared/notify/channels/ntfy.js';
import { WebhookChannel } from '../../../shared/notify/channels/webhook.js';
import type { GatewayConfig } from '../../config.js';

/** The channels the config turns on (each by its URL). */
export function channelsFrom(cfg: GatewayConfig['notify']): Channel[] {
  const out: Channel[] = [];
  if (cfg.webhookUrl && cfg.webhookSecret) out.push(new WebhookChannel(cfg.webhookUrl, cfg.webhookSecret));
  if (cfg.ntfyUrl) out.push(new NtfyChannel(cfg.ntfyUrl));
  if (cfg.smtpUrl && cfg.emailTo)
    out.push(
      new EmailChannel({ smtpUrl: cfg.smtpUrl, to: cfg.emailTo, from: cfg.emailFrom ?? `sousvide@${hostname()}`, caFile: cfg.smtpCaFile }),
    );
  return out;
}
