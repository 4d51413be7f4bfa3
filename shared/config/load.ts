import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SvError } from '../errors.js';
import { findDuplicateKey } from '../protocol/duplicate-keys.js';
import { formatIssues } from '../zod-issues.js';
import { type ConfigOf, type FlatOption, flatten, isOption, type Option, type SpecTree } from './spec.js';

/**
 * Loads a process config: defaults < optional JSON file < environment < CLI flags.
 * Validated once; every bad key is reported as `path: message` (SV_ERR_CONFIG_INVALID);
 * the result is deeply frozen.
 *
 * A command's options (the load test, chaos, benchmarks) are declared the same way with
 * `{ usage: true }`: a bad value is then a usage error (SV_ERR_CLI_USAGE) that names the flag and
 * the value given, `--kits: an integer from 1 to 15000 (got "many")`.
 */
export interface ConfigDefinition<S extends SpecTree> {
  name: string;
  envPrefix: string;
  spec: S;
  flat: FlatOption[];
  /** Problems name the `--flag` and are usage errors (a command's options, not a server's config). */
  usage: boolean;
}

export function defineConfig<S extends SpecTree>(
  name: string,
  envPrefix: string,
  spec: S,
  o: { usage?: boolean } = {},
): ConfigDefinition<S> {
  return { name, envPrefix, spec, flat: flatten(spec, envPrefix), usage: o.usage ?? false };
}

export interface ConfigSources {
  /** Flag values by flag name (without dashes), as given on the command line. */
  flags?: Record<string, string | boolean>;
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file (nested like the config object). */
  file?: string;
  /** Already-typed values (tests, the demo); highest precedence. */
  overrides?: Record<string, unknown>;
}

/**
 * Rules across keys that the per-key schema cannot say (a file that must exist, two listeners on
 * one port, a key required with another): `key: reason` lines, as the loader's own.
 */
export type ConfigRules<S extends SpecTree> = (config: ConfigOf<S>) => string[];

/**
 * `rules`, when given, are checked in the same pass, so that one start reports every problem:
 * when some keys are refused, the rules run on the rest (each refused key at its default) and a
 * rule's line that names a refused key is left out, since it would be about a value nobody gave.
 */
export function loadConfig<S extends SpecTree>(def: ConfigDefinition<S>, sources: ConfigSources = {}, rules?: ConfigRules<S>): ConfigOf<S> {
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};

  // A file that cannot be read leaves out all it holds: the rules would judge a config nobody gave.
  let fileRead = true;
  if (sources.file !== undefined) {
    const fromFile = readJsonFile(sources.file, problems);
    if (fromFile) mergeDeep(raw, fromFile);
    else fileRead = false;
  }
  const env = sources.env ?? {};
  for (const key of Object.keys(env)) {
    if (key.startsWith(def.envPrefix) && !def.flat.some((f) => f.envs.includes(key))) {
      problems.push(`${key}: unknown environment variable (see docs/config.md)`);
    }
  }
  /** The string each option was given as (flag or environment), to quote in a usage error. */
  const given = new Map<string, string>();
  for (const f of def.flat) {
    // An empty variable counts as unset (compose files pass `${VAR:-}`).
    const fromEnv = f.envs.map((name) => env[name]).find((v) => v !== undefined && v !== '');
    if (fromEnv !== undefined) {
      setPath(raw, f.path, coerce(f.option, fromEnv));
      given.set(f.path, fromEnv);
    }
    const fromFlag = sources.flags?.[f.flag];
    if (fromFlag !== undefined) {
      setPath(raw, f.path, typeof fromFlag === 'boolean' ? fromFlag : coerce(f.option, fromFlag));
      given.set(f.path, String(fromFlag));
    }
  }
  for (const [path, value] of Object.entries(sources.overrides ?? {})) setPath(raw, path, value);

  const result = schemaOf(def.spec).safeParse(raw);
  if (def.usage) {
    const usage = result.success ? [] : usageProblems(def, result.error, given);
    const all = [...problems, ...usage.map((u) => u.line)];
    if (all.length > 0) throw new SvError('SV_ERR_CLI_USAGE', all.join('\n'), [...problems, ...usage.map((u) => u.detail)]);
  }
  if (!result.success) problems.push(...refusedValues(def, result.error, given));
  if (rules && fileRead)
    problems.push(...(result.success ? rules(result.data as ConfigOf<S>) : rulesOnTheRest(def, raw, result.error, rules)));
  if (problems.length > 0) throw configInvalid(def.name, problems);
  return deepFreeze(result.data) as ConfigOf<S>;
}

/**
 * `key: reason` for each refused value, with the value as given in a flag or the environment
 * (`mqtt.port: … (got "88x3")`) unless the key is a secret or a URL.
 */
function refusedValues(def: ConfigDefinition<SpecTree>, error: z.ZodError, given: ReadonlyMap<string, string>): string[] {
  return error.issues.flatMap((issue) => {
    const lines = formatIssues(new z.ZodError([issue]));
    const path = issue.path.map(String).join('.');
    const f = def.flat.find((x) => x.path === path);
    const value = given.get(path);
    // A URL may carry a password: like a secret, it is not quoted back.
    if (issue.code === 'unrecognized_keys' || !f || f.option.secret || f.option.unit === 'url' || value === undefined) return lines;
    return lines.map((line) => `${line} (got ${JSON.stringify(value)})`);
  });
}

/** One `key: reason` line per problem: the line alone when there is one, under a heading when there are more. */
export function configInvalid(name: string, problems: readonly string[]): SvError {
  const message = problems.length === 1 ? (problems[0] as string) : `invalid ${name} config:\n  ${problems.join('\n  ')}`;
  return new SvError('SV_ERR_CONFIG_INVALID', message, [...problems]);
}

/**
 * The rules' problems with every refused option back at its default, less the lines that name a
 * refused option (as a key, not inside a path or a word): they would be about a value nobody gave.
 * An unknown key refuses nothing the rules read, so it leaves every line.
 */
function rulesOnTheRest<S extends SpecTree>(
  def: ConfigDefinition<S>,
  raw: Record<string, unknown>,
  error: z.ZodError,
  rules: ConfigRules<S>,
): string[] {
  const pruned = structuredClone(raw);
  const refused = new Set<string>();
  for (const issue of error.issues) {
    const path = issue.path.map(String);
    const names = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...path, k]) : [path];
    for (const name of names) {
      deletePath(pruned, name);
      // A refused list entry (`notify.emailTo.1`) refuses its option (`notify.emailTo`).
      const joined = name.join('.');
      const option = def.flat.find((f) => joined === f.path || joined.startsWith(`${f.path}.`));
      if (option) refused.add(option.path);
    }
  }
  const again = schemaOf(def.spec).safeParse(pruned);
  if (!again.success) return [];
  const names = [...refused].map((key) => new RegExp(`(^|[\\s(,;])${escapeRegExp(key)}($|[\\s:;,)])`));
  return rules(again.data as ConfigOf<S>).filter((line) => !names.some((re) => re.test(line)));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Removes the value at `path`; a list with a refused entry goes whole (back to its default). */
function deletePath(obj: Record<string, unknown>, path: readonly string[]): void {
  let parent: Record<string, unknown> = obj;
  for (const [i, part] of path.entries()) {
    const value = parent[part];
    if (i === path.length - 1 || Array.isArray(value)) {
      delete parent[part];
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    parent = value as Record<string, unknown>;
  }
}

/** One problem per bad option, named by its flag: `--kits: an integer from 1 to 15000 (got "many")`. */
function usageProblems(
  def: ConfigDefinition<SpecTree>,
  error: z.ZodError,
  given: ReadonlyMap<string, string>,
): { line: string; detail: string }[] {
  const out = new Map<string, { line: string; detail: string }>();
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.');
    const f = def.flat.find((x) => path === x.path || path.startsWith(`${x.path}.`));
    if (!f) {
      for (const line of formatIssues(new z.ZodError([issue]))) out.set(line, { line, detail: line });
      continue;
    }
    if (out.has(f.path)) continue;
    const detail = `--${f.flag}: ${issue.message}`;
    const value = given.get(f.path);
    out.set(f.path, { line: value === undefined ? detail : `${detail} (got ${JSON.stringify(value)})`, detail });
  }
  return [...out.values()];
}

/** The zod schema of a spec tree: strict objects, each leaf with its default. */
export function schemaOf(spec: SpecTree): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, node] of Object.entries(spec)) {
    if (isOption(node)) {
      shape[key] = node.default === undefined ? node.schema : node.schema.default(node.default as never);
    } else {
      // prefault: an absent group is parsed as {} so that its leaves get their defaults (zod 4's
      // .default() would return {} as is).
      shape[key] = schemaOf(node).prefault({} as never);
    }
  }
  return z.strictObject(shape);
}

/** Strings from flags and the environment become the option's type; what cannot be coerced stays a string so that zod names it. */
function coerce(option: Option, value: string): unknown {
  switch (option.kind) {
    case 'int':
    case 'number':
      return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value.trim()) ? Number(value) : value;
    case 'bool':
      if (/^(true|1|yes|on)$/i.test(value)) return true;
      if (/^(false|0|no|off)$/i.test(value)) return false;
      return value;
    case 'list':
      return value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    default:
      return value;
  }
}

function readJsonFile(path: string, problems: string[]): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    problems.push(`config file ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return undefined;
  }
  // A byte-order mark, as some editors on Windows save UTF-8, is not part of the JSON.
  const json = text.replace(/^\uFEFF/, '');
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      problems.push(`config file ${path}: must hold a JSON object`);
      return undefined;
    }
    // JSON.parse keeps a repeated key's last value and drops the earlier one without a word
    // (`"http"` twice: the first one's port is gone); the file is refused instead, as a body is.
    const repeated = findDuplicateKey(json);
    if (repeated !== null) {
      problems.push(`config file ${path}: ${repeated}: appears more than once in one object (only one value can count)`);
      return undefined;
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    problems.push(`config file ${path}: not valid JSON (${(err as Error).message})`);
    return undefined;
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function mergeDeep(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    if (isPlainObject(value) && isPlainObject(existing)) mergeDeep(existing, value);
    // Defined, not assigned: a `__proto__` key in a file is a key (refused as unknown), never the prototype.
    else
      Object.defineProperty(target, key, {
        value: isPlainObject(value) ? structuredClone(value) : value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** A copy of the config with every secret option replaced, for logs and `--json` output. */
export function redactConfig<S extends SpecTree>(def: ConfigDefinition<S>, config: ConfigOf<S>): Record<string, unknown> {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const f of def.flat) {
    if (f.option.secret && getPath(copy, f.path) !== undefined) setPath(copy, f.path, '[redacted]');
  }
  return copy;
}

function getPath(obj: Record<string, unknown>, path: string): unknown {
  let node: unknown = obj;
  for (const key of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}
