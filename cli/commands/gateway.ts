import { gatewayConfig, gatewayConfigProblems } from '../../gateway/config.js';
import { createLogger } from '../../shared/log.js';
import type { Command } from '../command.js';
import { configFor } from '../run.js';
import { keyOf, serveUntilStopped } from './serve.js';

export const gatewayCommand: Command = {
  name: 'gateway',
  summary: 'Run a gateway: embedded MQTT/TLS broker, local control, durable store, relay to the cloud.',
  usage: 'sousvide gateway [--data-dir DIR] [--mqtt-port N] [--http-port N] [--cloud-url URL] …',
  config: gatewayConfig,
  subcommands: [
    {
      name: 'token',
      summary: 'Issue a new operator token for the local API (printed once; the old one stops working).',
      usage: 'sousvide gateway token [--data-dir DIR] [--json]',
      config: gatewayConfig,
      async run(ctx) {
        const config = configFor(gatewayConfig, ctx);
        const { issueOperatorToken, tokenFilePath } = await import('../../gateway/http/operator-token.js');
        const { requireStore } = await import('../../gateway/store/open.js');
        requireStore(config.dataDir);
        const token = issueOperatorToken(tokenFilePath(config.dataDir, config.http.tokenFile), config.dataDir);
        ctx.stdout.write(ctx.json ? `${JSON.stringify({ token })}\n` : `operator token (shown once): ${token}\n`);
        return 0;
      },
    },
    {
      name: 'backup',
      args: 1,
      summary: "Write a consistent copy of the gateway's SQLite store while it runs.",
      usage: 'sousvide gateway backup <file> [--data-dir DIR] [--json]',
      config: gatewayConfig,
      async run(ctx) {
        const { backupStore } = await import('../../gateway/store/backup.js');
        const r = await backupStore(configFor(gatewayConfig, ctx).dataDir, ctx.positionals[0] ?? '');
        ctx.stdout.write(
          ctx.json ? `${JSON.stringify({ file: r.file, pages: r.pages })}\n` : `backup written to ${r.file} (${r.pages} pages)\n`,
        );
        return 0;
      },
    },
  ],
  async run(ctx) {
    // Every problem at once: the refused values and the rules across keys (files, ports, pairs).
    const config = configFor(gatewayConfig, ctx, gatewayConfigProblems);
    const log = createLogger({ name: 'gateway', level: config.log.level });
    const portKey = keyOf<number>([
      ['mqtt.port', config.mqtt.port],
      ['http.port', config.http.port],
      ['mqtt.plainPort', config.mqtt.plainPort],
    ]);
    const hostKey = keyOf<string>([
      ['mqtt.host', config.mqtt.host],
      ['http.host', config.http.host],
      ['mqtt.plainHost', config.mqtt.plainHost],
    ]);
    // Loaded here, not at the top: help, usage errors and the admin subcommands start without it.
    const { buildGateway } = await import('../../gateway/app.js');
    return serveUntilStopped(buildGateway(config, log), ctx.stopSignal, log, { portKey, hostKey });
  },
};
