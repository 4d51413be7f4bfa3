import type { Command } from '../command.js';
import { benchCommand } from './bench.js';
import { cloudCommand } from './cloud.js';
import { deviceCommand } from './device.js';
import { gatewayCommand } from './gateway.js';
import { loadtestCommand } from './loadtest.js';
import { notYet } from './serve.js';

/** Every top-level command, in the order `sousvide --help` lists them. */
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
  loadtestCommand,
  benchCommand,
];
