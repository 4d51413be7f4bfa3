import { SvError } from '../shared/errors.js';

/** A flag a command accepts besides its config keys (e.g. `--json`, `--cert`). */
export interface FlagSpec {
  flag: string;
  kind: 'bool' | 'string';
  help: string;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean>;
}

/**
 * `--name value`, `--name=value`, `--flag`, `--no-flag`; `--` ends options.
 * A switch is `--flag`, `--flag=true`, `--flag=false` or `--no-flag`, and reaches the command as a
 * boolean; any other value is refused, naming the flag.
 * Unknown flags are errors that name the flag (bad CLI input gets a clear error).
 */
export function parseArgs(argv: readonly string[], known: ReadonlyMap<string, 'bool' | 'string'>): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-' && arg !== '-h') {
        problems.push(`${arg}: unknown option (options are --long-form)`);
        continue;
      }
      if (arg === '-h') flags.help = true;
      else positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let value: string | boolean | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (!known.has(name) && name.startsWith('no-') && known.get(name.slice(3)) === 'bool' && value === undefined) {
      name = name.slice(3);
      value = false;
    }
    const kind = known.get(name);
    if (kind === undefined) {
      problems.push(`--${name}: unknown option (see --help)`);
      continue;
    }
    if (kind === 'bool') {
      const next = argv[i + 1];
      if (value === undefined && next !== undefined && /^(true|false|yes|no|on|off)$/i.test(next)) {
        const on = /^(true|yes|on)$/i.test(next);
        problems.push(`--${name} ${next}: a switch takes no separate value (write --${name}=${on}, or --no-${name} to turn it off)`);
        i++;
        continue;
      }
      const on = switchValue(value);
      if (on === undefined) {
        problems.push(`--${name}=${String(value)}: a switch is on or off (write --${name}, --${name}=true or --${name}=false)`);
        continue;
      }
      flags[name] = on;
      continue;
    }
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        problems.push(`--${name}: needs a value`);
        continue;
      }
      value = next;
      i++;
    }
    flags[name] = value;
  }
  if (problems.length > 0) throw new SvError('SV_ERR_CLI_USAGE', problems.join('\n'), problems);
  return { positionals, flags };
}

/** A switch's value: `--flag` is on, `--flag=true` / `--flag=false` (any case) say so; else undefined. */
function switchValue(value: string | boolean | undefined): boolean | undefined {
  if (value === undefined) return true;
  if (typeof value === 'boolean') return value;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  return undefined;
}
