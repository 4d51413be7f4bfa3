import { gatewayConfig } from '../../gateway/config.js';
import { list, provisionCert, provisionSecret, revoke, rotate } from '../../gateway/devices/provision.js';
import { SvError } from '../../shared/errors.js';
import type { Command, CommandContext } from '../command.js';
import { configFor } from '../run.js';

function one(ctx: CommandContext): string | undefined {
  if (ctx.positionals[0] === undefined) throw new SvError('SV_ERR_CLI_USAGE', 'id: missing (e.g. kit-001)', ['id: missing']);
  return ctx.positionals[0];
}

function print(ctx: CommandContext, data: unknown, text: string): number {
  ctx.stdout.write(ctx.json ? `${JSON.stringify(data)}\n` : `${text}\n`);
  return 0;
}

export const deviceCommand: Command = {
  name: 'device',
  summary: 'Provision kits on this gateway: add, list, revoke, rotate.',
  usage: 'sousvide device <add|list|revoke|rotate> [id] [--cert] [--json]',
  subcommands: [
    {
      name: 'add',
      args: 1,
      summary: 'Add a kit; prints its secret once (or writes a client certificate with --cert).',
      usage: 'sousvide device add <id> [--cert] [--init] [--json]',
      config: gatewayConfig,
      flags: [
        { flag: 'cert', kind: 'bool', help: 'Issue a client certificate (CN = id) instead of a secret.' },
        { flag: 'init', kind: 'bool', help: 'Create the gateway store (and its CA) in the data dir if there is none yet.' },
      ],
      async run(ctx) {
        const config = configFor(gatewayConfig, ctx);
        const id = one(ctx);
        const o = { init: ctx.flags.init === true };
        if (ctx.flags.cert === true) {
          const r = provisionCert(config, id, o);
          return print(
            ctx,
            r,
            `device ${r.id} added (certificate)\n  cert: ${r.certFile}\n  key:  ${r.keyFile}\n  CA:   ${r.caFile}\n  url:  ${r.mqttUrl}`,
          );
        }
        const r = await provisionSecret(config, id, o);
        return print(
          ctx,
          r,
          `device ${r.id} added\n  secret: ${r.secret}   (shown once: store it in the kit now)\n  CA:     ${r.caFile}\n  url:    ${r.mqttUrl}`,
        );
      },
    },
    {
      name: 'list',
      summary: 'List provisioned kits.',
      usage: 'sousvide device list [--json]',
      config: gatewayConfig,
      async run(ctx) {
        const devices = list(configFor(gatewayConfig, ctx));
        const rows = devices.map(
          (d) => `${d.id.padEnd(33)}${d.auth.padEnd(8)}${d.revokedAt ? `revoked ${d.revokedAt}` : `active since ${d.createdAt}`}`,
        );
        return print(ctx, devices, rows.length > 0 ? rows.join('\n') : '(no devices)');
      },
    },
    {
      name: 'revoke',
      args: 1,
      summary: 'Revoke a kit; a connected kit is disconnected at once and cannot reconnect.',
      usage: 'sousvide device revoke <id> [--json]',
      config: gatewayConfig,
      async run(ctx) {
        const id = one(ctx);
        revoke(configFor(gatewayConfig, ctx), id);
        return print(ctx, { id, revoked: true }, `device ${id} revoked`);
      },
    },
    {
      name: 'rotate',
      args: 1,
      summary: 'Issue a new secret for a kit; the old one stops working and a connected kit is disconnected.',
      usage: 'sousvide device rotate <id> [--json]',
      config: gatewayConfig,
      async run(ctx) {
        const r = await rotate(configFor(gatewayConfig, ctx), one(ctx));
        return print(ctx, r, `device ${r.id} has a new secret\n  secret: ${r.secret}   (shown once)`);
      },
    },
  ],
};
