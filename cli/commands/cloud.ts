import { cloudConfig, cloudConfigProblems } from '../../cloud/config.js';
import { createLogger } from '../../shared/log.js';
import type { Command } from '../command.js';
import { configFor } from '../run.js';
import { CLOUD_ADMIN_COMMANDS, print, withMeta } from './cloud-admin.js';
import { cloudNotifyCommand } from './cloud-notify.js';
import { keyOf, serveUntilStopped } from './serve.js';

export const cloudCommand: Command = {
  name: 'cloud',
  summary: 'Run the cloud service (ingest, query and control API, dashboard), or manage it.',
  usage: 'sousvide cloud [--port N] [--data-dir DIR] [--influx-url URL] [--redis-url URL] [--mysql-url URL] …',
  config: cloudConfig,
  subcommands: [
    {
      name: 'migrate',
      summary: 'Apply the MySQL / embedded schema migrations and exit (creates the embedded store).',
      usage: 'sousvide cloud migrate [--json]',
      config: cloudConfig,
      async run(ctx) {
        const config = configFor(cloudConfig, ctx);
        return withMeta(
          config,
          async (meta, m) =>
            print(ctx, { backend: meta.backend, ...m }, `${meta.backend}: applied [${m.applied.join(', ')}], schema version ${m.current}`),
          { create: true },
        );
      },
    },
    ...CLOUD_ADMIN_COMMANDS,
    cloudNotifyCommand,
  ],
  async run(ctx) {
    // Every problem at once: the refused values and the rules across keys (files, key pairs).
    const config = configFor(cloudConfig, ctx, cloudConfigProblems);
    const log = createLogger({ name: 'cloud', level: config.log.level });
    // Loaded here, not at the top: help, usage errors and the admin subcommands start without it.
    const { buildCloud } = await import('../../cloud/app.js');
    return serveUntilStopped(buildCloud(config, log), ctx.stopSignal, log, {
      portKey: keyOf([['port', config.port]]),
      hostKey: keyOf([['host', config.host]]),
    });
  },
};
