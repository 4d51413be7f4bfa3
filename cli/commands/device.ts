import { gatewayConfig } from '../../gateway/config.js';
import type { Command } from '../command.js';
import { notYet } from './serve.js';

export const deviceCommand: Command = {
  name: 'device',
  summary: 'Provision kits on this gateway: add, list, revoke, rotate.',
  usage: 'sousvide device <add|list|revoke|rotate> [id] [--cert] [--json]',
  subcommands: [
    {
      name: 'add',
      summary: 'Add a kit; prints its secret once (or writes a client certificate with --cert).',
      usage: 'sousvide device add <id> [--cert] [--json]',
      config: gatewayConfig,
      flags: [{ flag: 'cert', kind: 'bool', help: 'Issue a client certificate instead of a secret.' }],
      run: notYet('device add', 3),
    },
    {
      name: 'list',
      summary: 'List provisioned kits.',
      usage: 'sousvide device list [--json]',
      config: gatewayConfig,
      run: notYet('device list', 3),
    },
    {
      name: 'revoke',
      summary: 'Revoke a kit; a connected kit is disconnected at once.',
      usage: 'sousvide device revoke <id>',
      config: gatewayConfig,
      run: notYet('device revoke', 3),
    },
    {
      name: 'rotate',
      summary: 'Issue a new secret for a kit; the old one stops working.',
      usage: 'sousvide device rotate <id> [--json]',
      config: gatewayConfig,
      run: notYet('device rotate', 3),
    },
  ],
};
