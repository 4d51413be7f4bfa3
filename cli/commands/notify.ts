import { checkGatewayConfig, gatewayConfig } from '../../gateway/config.js';
import { SvError } from '../../shared/errors.js';
import type { Command } from '../command.js';
import { configFor } from '../run.js';

export const notifyCommand: Command = {
  name: 'notify',
  summary: "The gateway's notifications (webhook, ntfy, e-mail).",
  usage: 'sousvide notify test [--notify-webhook-url URL] [--notify-ntfy-url URL] [--notify-smtp-url URL] …',
  subcommands: [
    {
      name: 'test',
      summary: 'Send a test notification through every configured channel; exits 1 when one fails.',
      usage: 'sousvide notify test [--config FILE] [--notify-webhook-url URL] … [--json]',
      config: gatewayConfig,
      async run(ctx) {
        const config = configFor(gatewayConfig, ctx);
        checkGatewayConfig(config);
        const { channelsFrom } = await import('../../gateway/notify/channels/index.js');
        const { testNotification } = await import('../../gateway/notify/test-message.js');
        const channels = channelsFrom(config.notify);
        if (channels.length === 0)
          throw new SvError(
            'SV_ERR_CLI_USAGE',
            'notify: no channel is configured; set notify.webhookUrl (with notify.webhookSecret), notify.ntfyUrl or notify.smtpUrl (with notify.emailTo)',
            ['notify: no channel is configured'],
          );
        const n = testNotification(config.name, Date.now());
        const results = await Promise.all(
          channels.map(async (c) => {
            try {
              await c.send(n);
              return { channel: c.name, ok: true as const };
            } catch (err) {
              return { channel: c.name, ok: false as const, error: (err as Error).message };
            } finally {
              c.close?.();
            }
          }),
        );
        if (ctx.json) ctx.stdout.write(`${JSON.stringify({ id: n.id, results })}\n`);
        else for (const r of results) ctx.stdout.write(`${r.channel}: ${r.ok ? 'delivered' : `FAILED: ${r.error}`}\n`);
        return results.every((r) => r.ok) ? 0 : 1;
      },
    },
  ],
};
