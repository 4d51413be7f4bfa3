import { buildCloud } from '../../cloud/app.js';
import { cloudConfig } from '../../cloud/config.js';
import { createLogger } from '../../shared/log.js';
import type { Command } from '../command.js';
import { configFor } from '../run.js';
import { notYet, serveUntilStopped } from './serve.js';

export const cloudCommand: Command = {
  name: 'cloud',
  summary: 'Run the cloud service (ingest, query and control API, dashboard), or manage it.',
  usage: 'sousvide cloud [--port N] [--data-dir DIR] [--influx-url URL] [--redis-url URL] [--mysql-url URL] …',
  config: cloudConfig,
  subcommands: [
    {
      name: 'migrate',
      summary: 'Apply the MySQL / embedded schema migrations and exit.',
      usage: 'sousvide cloud migrate',
      config: cloudConfig,
      run: notYet('cloud migrate', 5),
    },
    {
      name: 'gateway',
      summary: 'Manage gateway tokens.',
      usage: 'sousvide cloud gateway add <name> | revoke <id> | list',
      subcommands: [
        {
          name: 'add',
          summary: 'Register a gateway and print its token once.',
          usage: 'sousvide cloud gateway add <name> [--json]',
          config: cloudConfig,
          run: notYet('cloud gateway add', 5),
        },
      ],
    },
    {
      name: 'key',
      summary: 'Manage user API keys.',
      usage: 'sousvide cloud key add --role viewer|operator|admin [--json]',
      config: cloudConfig,
      run: notYet('cloud key', 5),
    },
  ],
  async run(ctx) {
    const config = configFor(cloudConfig, ctx);
    const log = createLogger({ name: 'cloud', level: config.log.level });
    return serveUntilStopped(buildCloud(config, log), ctx.stopSignal, log);
  },
};
