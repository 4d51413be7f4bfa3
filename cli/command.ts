import type { ConfigDefinition } from '../shared/config/load.js';
import type { SpecTree } from '../shared/config/spec.js';
import type { FlagSpec } from './args.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export interface CommandContext extends CliIo {
  positionals: string[];
  flags: Record<string, string | boolean>;
  json: boolean;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  stopSignal: AbortSignal;
}

export interface Command {
  name: string;
  summary: string;
  /** e.g. `sousvide device add <id> [--cert]` */
  usage: string;
  /** Config keys this command accepts as flags and environment variables. */
  config?: ConfigDefinition<SpecTree>;
  flags?: FlagSpec[];
  /** How many arguments (words that are not options, e.g. a device id) it takes; more are refused. Default 0. */
  args?: number;
  /** Subcommands (e.g. `device add`); `run` is then optional. */
  subcommands?: Command[];
  run?: (ctx: CommandContext) => Promise<number>;
}

export const GLOBAL_FLAGS: FlagSpec[] = [
  { flag: 'help', kind: 'bool', help: 'Show this help.' },
  { flag: 'json', kind: 'bool', help: 'Print machine-readable JSON instead of text.' },
  { flag: 'config', kind: 'string', help: 'JSON config file (defaults < file < environment < flags).' },
];
