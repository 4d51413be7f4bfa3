import { renderOptionHelp } from '../shared/config/help.js';
import { type ConfigDefinition, type ConfigRules, loadConfig } from '../shared/config/load.js';
import type { ConfigOf, SpecTree } from '../shared/config/spec.js';
import { isSvError, SvError } from '../shared/errors.js';
import { parseArgs } from './args.js';
import { type CliIo, type Command, GLOBAL_FLAGS } from './command.js';
import { COMMANDS } from './commands/index.js';

/**
 * Errors that are the user's to fix (exit 2): usage, config, a port or data dir that is taken, and
 * what the command was told to do that cannot be done as given (an invalid name or role, a device
 * or org that exists already, one that does not exist).
 */
const USER_ERRORS = new Set<string>([
  'SV_ERR_CLI_USAGE',
  'SV_ERR_CONFIG_INVALID',
  'SV_ERR_STARTUP',
  'SV_ERR_DATA_DIR_IN_USE',
  'SV_ERR_NO_STORE',
  'SV_ERR_STORE_DAMAGED',
  'SV_ERR_VALIDATION',
  'SV_ERR_CONFLICT',
  'SV_ERR_NOT_FOUND',
]);

/** Exit codes: 0 ok, 1 runtime failure, 2 usage, config or start-up error. */
export async function runCli(argv: readonly string[], io: CliIo, stopSignal: AbortSignal): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    const cmd = topic ? COMMANDS.find((c) => c.name === topic) : undefined;
    io.stdout.write(cmd ? commandHelp(cmd, []) : rootHelp());
    return 0;
  }
  if (first === '--version') {
    io.stdout.write('sousvide 0.1.0\n');
    return 0;
  }
  let command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    io.stderr.write(`sousvide: unknown command "${first}"\n\n${rootHelp()}`);
    return 2;
  }
  const path = [command.name];
  let args = rest;
  while (command.subcommands && args[0] !== undefined && !args[0].startsWith('-')) {
    const sub: Command | undefined = command.subcommands.find((c) => c.name === args[0]);
    if (!sub) {
      io.stderr.write(`sousvide ${path.join(' ')}: unknown subcommand "${args[0]}"\n\n${commandHelp(command, path.slice(0, -1))}`);
      return 2;
    }
    path.push(sub.name);
    command = sub;
    args = args.slice(1);
  }
  const known = new Map<string, 'bool' | 'string'>();
  for (const f of [...GLOBAL_FLAGS, ...(command.flags ?? [])]) known.set(f.flag, f.kind);
  for (const f of command.config?.flat ?? []) known.set(f.flag, f.option.kind === 'bool' ? 'bool' : 'string');

  // Until the arguments are parsed, an error is JSON when --json (or --json=true) was written.
  let json = args.some((a) => a === '--json' || /^--json=true$/i.test(a));
  try {
    const { positionals, flags } = parseArgs(args, known);
    json = flags.json === true;
    const extra = positionals.slice(command.args ?? 0);
    if (extra.length > 0 && flags.help !== true && command.run) {
      const what = extra.map((a) => JSON.stringify(a)).join(', ');
      throw new SvError('SV_ERR_CLI_USAGE', `unexpected argument${extra.length > 1 ? 's' : ''} ${what} (usage: ${command.usage})`, [
        `arguments: ${command.args ? `at most ${command.args}` : 'none expected'}, got ${positionals.length}`,
      ]);
    }
    if (flags.help === true || !command.run) {
      io.stdout.write(commandHelp(command, path.slice(0, -1)));
      // Help asked for is a success; a command without its subcommand is a usage error.
      return flags.help === true ? 0 : 2;
    }
    return await command.run({ ...io, positionals, flags, json, stopSignal });
  } catch (err) {
    if (isSvError(err)) {
      const exit = USER_ERRORS.has(err.code) ? 2 : 1;
      if (json) io.stderr.write(`${JSON.stringify({ error: { code: err.code, message: err.message, details: err.details } })}\n`);
      else io.stderr.write(`sousvide ${path.join(' ')}: ${err.message}\n${reasons(err.message, err.details)}`);
      return exit;
    }
    throw err;
  }
}

/** The error's details (`field: reason`) that its message does not already say, one indented line each. */
function reasons(message: string, details: readonly string[] | undefined): string {
  return (details ?? [])
    .filter((d) => !message.includes(d) && !message.includes(d.slice(d.indexOf(': ') + 2)))
    .map((d) => `  ${d}\n`)
    .join('');
}

/** Loads a command's config from its flags, the environment and `--config`. */
export function configFor<S extends SpecTree>(
  def: ConfigDefinition<S>,
  ctx: { flags: Record<string, string | boolean>; env: NodeJS.ProcessEnv },
  rules?: ConfigRules<S>,
): ConfigOf<S> {
  const file = typeof ctx.flags.config === 'string' ? ctx.flags.config : undefined;
  return loadConfig(def, { flags: ctx.flags, env: ctx.env, file }, rules);
}

function rootHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  return [
    'sousvide: smart sous-vide platform (gateway, cloud, kits, load tests)',
    '',
    'Usage: sousvide <command> [options]     sousvide <command> --help',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Global options:',
    ...GLOBAL_FLAGS.map((f) => `  --${f.flag.padEnd(width + 6)}${f.help}`),
    '',
  ].join('\n');
}

export function commandHelp(command: Command, parents: string[]): string {
  const lines = [`${command.summary}`, '', `Usage: ${command.usage}`];
  if (command.subcommands) {
    lines.push('', 'Subcommands:');
    const width = Math.max(...command.subcommands.map((c) => c.name.length)) + 4;
    for (const s of command.subcommands) lines.push(`  ${s.name.padEnd(width)}${s.summary}`);
    lines.push('', `Run "sousvide ${[...parents, command.name].join(' ')} <subcommand> --help" for its options.`);
  }
  const flags = [...(command.flags ?? []), ...GLOBAL_FLAGS];
  lines.push('', 'Options:');
  const width = Math.max(...flags.map((f) => f.flag.length + (f.kind === 'string' ? 8 : 0))) + 6;
  for (const f of flags) lines.push(`  ${`--${f.flag}${f.kind === 'string' ? ' <value>' : ''}`.padEnd(width)}${f.help}`);
  if (command.config) {
    lines.push('', `Configuration (flag, environment variable, or a key in the --config file):`, renderOptionHelp(command.config.flat));
  }
  return `${lines.join('\n')}\n`;
}
