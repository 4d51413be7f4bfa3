import type { z } from 'zod';

/**
 * One config key: its zod schema, its default (with the unit in the key name or `unit`),
 * how a string from a flag or the environment is coerced, and the help text.
 * The CLI flags, the environment names, `--help` and docs/config.md are all derived from this.
 */
export type OptionKind = 'string' | 'int' | 'number' | 'bool' | 'list';

export interface Option<T extends z.ZodType = z.ZodType> {
  readonly __option: true;
  readonly schema: T;
  readonly kind: OptionKind;
  readonly default: z.input<T> | undefined;
  readonly help: string;
  readonly unit?: string;
  /** Never printed (help shows "(secret)"; logs redact it). */
  readonly secret?: boolean;
  /** Its own environment variable(s) instead of the prefixed name (e.g. the load-test plan's `RUN_ID`); the first set one wins. */
  readonly env?: string | readonly string[];
  /** How the default is worked out when it depends on other options (help and docs), e.g. `duration + 120`. */
  readonly defaultHelp?: string;
}

export interface OptionInit<T extends z.ZodType> {
  kind: OptionKind;
  default?: z.input<T>;
  help: string;
  unit?: string;
  secret?: boolean;
  env?: string | readonly string[];
  defaultHelp?: string;
}

export function opt<T extends z.ZodType>(schema: T, init: OptionInit<T>): Option<T> {
  return { __option: true, schema, ...init, default: init.default };
}

export interface SpecTree {
  readonly [key: string]: Option | SpecTree;
}

/** The typed config a spec tree produces. */
export type ConfigOf<S extends SpecTree> = {
  readonly [K in keyof S]: S[K] extends Option<infer T> ? z.output<T> : S[K] extends SpecTree ? ConfigOf<S[K]> : never;
};

export function isOption(node: Option | SpecTree): node is Option {
  return (node as Option).__option === true;
}

export interface FlatOption {
  /** Dotted path, e.g. `mqtt.port`. */
  path: string;
  /** CLI flag without dashes, e.g. `mqtt-port`. */
  flag: string;
  /** Environment variable, e.g. `SV_GATEWAY_MQTT_PORT` (the first of `envs`). */
  env: string;
  /** Every environment variable the option reads, in precedence order. */
  envs: string[];
  option: Option;
}

const kebab = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

export function flatten(spec: SpecTree, envPrefix: string, prefix: string[] = []): FlatOption[] {
  const out: FlatOption[] = [];
  for (const [key, node] of Object.entries(spec)) {
    const path = [...prefix, key];
    if (isOption(node)) {
      const flag = path.map(kebab).join('-');
      const own = node.env === undefined ? [] : typeof node.env === 'string' ? [node.env] : [...node.env];
      const envs = own.length > 0 ? own : [`${envPrefix}${flag.replace(/-/g, '_').toUpperCase()}`];
      out.push({ path: path.join('.'), flag, env: envs[0] as string, envs, option: node });
    } else {
      out.push(...flatten(node, envPrefix, path));
    }
  }
  return out;
}
