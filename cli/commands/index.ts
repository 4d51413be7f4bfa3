import { gatewayConfig } from '../../gateway/config.js';
import type { Command } from '../command.js';
import { cloudCommand } from './cloud.js';
import { gatewayCommand } from './gateway.js';
import { notYet } from './serve.js';

const deviceCommand: Command = {
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

export const COMMANDS: Command[] = [
  {
    name: 'demo',
    summary: 'All-in-one demo: cloud, gateway and simulated kits in one process tree.',
    usage: 'sousvide demo',
    run: notYet('demo', 8),
  },
  gatewayCommand,
  cloudCommand,
  deviceCommand,
  {
    name: 'loadtest',
    summary: 'Simulate thousands of kits against a gateway and write run artifacts.',
    usage: 'sousvide loadtest [options]',
    run: notYet('loadtest', 7),
  },
  {
    name: 'bench',
    summary: 'Benchmarks: ingest, control, cloud, drain.',
    usage: 'sousvide bench <ingest|control|cloud|drain>',
    run: notYet('bench', 3),
  },
];
