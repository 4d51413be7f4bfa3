import type { Command } from '../command.js';
import { benchCommand } from './bench.js';
import { chaosCommand } from './chaos.js';
import { cloudCommand } from './cloud.js';
import { demoCommand } from './demo.js';
import { deviceCommand } from './device.js';
import { gatewayCommand } from './gateway.js';
import { loadtestCommand } from './loadtest.js';
import { notifyCommand } from './notify.js';

/** Every top-level command, in the order `sousvide --help` lists them. */
export const COMMANDS: Command[] = [
  demoCommand,
  gatewayCommand,
  cloudCommand,
  deviceCommand,
  notifyCommand,
  loadtestCommand,
  benchCommand,
  chaosCommand,
];
