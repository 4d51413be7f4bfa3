import { createApiKey, createGateway } from '../../cloud/admin.js';
import { buildCloud } from '../../cloud/app.js';
import { type CloudConfig, cloudConfig } from '../../cloud/config.js';
import { closeStores, createStores } from '../../cloud/stores/index.js';
import type { MetaStore } from '../../cloud/stores/types.js';
import { SvError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import type { Command, CommandContext } from '../command.js';
import { configFor } from '../run.js';
import { serveUntilStopped } from './serve.js';

/** Runs `fn` against the configured meta store (MySQL or embedded SQLite), migrated first. */
async function withMeta<T>(
  config: CloudConfig,
  fn: (meta: MetaStore, migrated: { applied: number[]; current: number }) => Promise<T>,
): Promise<T> {
  const stores = createStores(config);
  try {
    await stores.meta.open();
    const migrated = await stores.meta.migrate();
    return await fn(stores.meta, migrated);
  } finally {
    await closeStores(stores);
  }
}

function print(ctx: CommandContext, json: unknown, text: string): number {
  ctx.stdout.write(ctx.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
  return 0;
}

export const cloudCommand: Command = {
  name: 'cloud',
  summary: 'Run the cloud service (ingest, query and control API, dashboard), or manage it.',
  usage: 'sousvide cloud [--port N] [--data-dir DIR] [--influx-url URL] [--redis-url URL] [--mysql-url URL] …',
  config: cloudConfig,
  subcommands: [
    {
      name: 'migrate',
      summary: 'Apply the MySQL / embedded schema migrations and exit.',
      usage: 'sousvide cloud migrate [--json]',
      config: cloudConfig,
      async run(ctx) {
        const config = configFor(cloudConfig, ctx);
        return withMeta(config, async (meta, m) =>
          print(ctx, { backend: meta.backend, ...m }, `${meta.backend}: applied [${m.applied.join(', ')}], schema version ${m.current}`),
        );
      },
    },
    {
      name: 'gateway',
      summary: 'Manage gateway tokens.',
      usage: 'sousvide cloud gateway add <name> | revoke <id>',
      subcommands: [
        {
          name: 'add',
          summary: 'Register a gateway and print its token once.',
          usage: 'sousvide cloud gateway add <name> [--json]',
          config: cloudConfig,
          async run(ctx) {
            const name = ctx.positionals[0];
            if (!name || ctx.positionals.length > 1)
              throw new SvError('SV_ERR_CLI_USAGE', 'usage: sousvide cloud gateway add <name>', ['name: required']);
            const config = configFor(cloudConfig, ctx);
            const g = await withMeta(config, (meta) => createGateway(meta, name, Date.now()));
            return print(ctx, g, `gateway ${g.id} registered; its token (shown once, store it on the gateway):\n${g.token}`);
          },
        },
        {
          name: 'revoke',
          summary: 'Revoke a gateway token (its batches are refused from then on).',
          usage: 'sousvide cloud gateway revoke <id> [--json]',
          config: cloudConfig,
          async run(ctx) {
            const id = ctx.positionals[0];
            if (!id) throw new SvError('SV_ERR_CLI_USAGE', 'usage: sousvide cloud gateway revoke <id>', ['id: required']);
            const config = configFor(cloudConfig, ctx);
            const revoked = await withMeta(config, (meta) => meta.revokeGateway(id, Date.now()));
            if (!revoked) throw new SvError('SV_ERR_NOT_FOUND', `gateway ${id} is unknown or already revoked`);
            return print(ctx, { id, revoked: true }, `gateway ${id} revoked`);
          },
        },
      ],
    },
    {
      name: 'key',
      summary: 'Manage user API keys.',
      usage: 'sousvide cloud key add --role viewer|operator|admin [--owner NAME] [--json]',
      subcommands: [
        {
          name: 'add',
          summary: 'Create a user API key and print it once.',
          usage: 'sousvide cloud key add --role viewer|operator|admin [--owner NAME] [--json]',
          config: cloudConfig,
          flags: [
            { flag: 'role', kind: 'string', help: 'viewer, operator or admin.' },
            { flag: 'owner', kind: 'string', help: 'Who the key belongs to (recorded in the audit log); default: $USER.' },
          ],
          async run(ctx) {
            const role = ctx.flags.role;
            if (typeof role !== 'string')
              throw new SvError('SV_ERR_CLI_USAGE', '--role is required', ['--role: viewer, operator or admin']);
            const owner = typeof ctx.flags.owner === 'string' ? ctx.flags.owner : (ctx.env.USER ?? 'cli');
            const config = configFor(cloudConfig, ctx);
            const k = await withMeta(config, (meta) => createApiKey(meta, role, owner, Date.now()));
            return print(ctx, k, `API key ${k.id} (${k.role}, owner ${owner}); the key (shown once):\n${k.key}`);
          },
        },
      ],
    },
  ],
  async run(ctx) {
    const config = configFor(cloudConfig, ctx);
    const log = createLogger({ name: 'cloud', level: config.log.level });
    return serveUntilStopped(buildCloud(config, log), ctx.stopSignal, log, { portKey: (p) => (p === config.port ? 'port' : undefined) });
  },
};
