import { z } from 'zod';
import { type Option, type OptionInit, opt } from './spec.js';

/**
 * Option builders for a command's numeric, choice and list flags (the load test, chaos,
 * benchmarks): the rule is stated once, in words, and that sentence is the error a bad value gets,
 * e.g. `--kits: an integer from 1 to 15000`. Without a default the option is optional (undefined
 * when not given).
 */
type Init<D> = Omit<OptionInit<z.ZodType>, 'kind' | 'default'> & { default?: D };
/** The option's schema, optional when it has no default. */
type Opt<S extends z.ZodType, D> = Option<undefined extends D ? z.ZodOptional<S> : S>;

function build<S extends z.ZodType, D>(schema: S, init: Init<D>, kind: OptionInit<S>['kind']): Opt<S, D> {
  const s = init.default === undefined ? schema.optional() : schema;
  return opt(s, { ...init, kind, default: init.default as never }) as unknown as Opt<S, D>;
}

const range = (min: number, max: number, what: string) => z.number({ error: what }).min(min, { error: what }).max(max, { error: what });

/** An integer in [min, max]. */
export function intOption<D extends number | undefined = undefined>(min: number, max: number, init: Init<D>) {
  const what = `an integer from ${min} to ${max}`;
  return build(range(min, max, what).int({ error: what }), init, 'int');
}

/** Any number in [min, max]. */
export function numberOption<D extends number | undefined = undefined>(min: number, max: number, init: Init<D>) {
  return build(range(min, max, `a number from ${min} to ${max}`), init, 'number');
}

/** One of a few words; `what` lists them, e.g. `full or gateway`. */
export function choiceOption<const V extends readonly [string, ...string[]], D extends V[number] | undefined = undefined>(
  values: V,
  what: string,
  init: Init<D>,
) {
  return build(z.enum(values, { error: what }), init, 'string');
}

const intList = (min: number, max: number, what: string) => {
  const ok = (s: string | number) => String(s).trim() !== '' && Number.isInteger(Number(s)) && Number(s) >= min && Number(s) <= max;
  return z
    .array(z.union([z.string(), z.number()]), { error: what })
    .refine((a) => a.length > 0 && a.every(ok), { error: what })
    .transform((a) => a.map(Number));
};

/** Comma-separated integers in [min, max] (at least one). */
export function intListOption<D extends number[] | undefined = undefined>(min: number, max: number, what: string, init: Init<D>) {
  return build(intList(min, max, what), init, 'list');
}

const choiceList = <V extends readonly [string, ...string[]]>(values: V, what: string) =>
  z
    .array(z.string(), { error: what })
    .refine((a) => a.length > 0 && a.every((s) => values.includes(s)), { error: what })
    .transform((a) => a as V[number][]);

/** Comma-separated words out of `values` (at least one). */
export function choiceListOption<const V extends readonly [string, ...string[]], D extends V[number][] | undefined = undefined>(
  values: V,
  what: string,
  init: Init<D>,
) {
  return build(choiceList(values, what), init, 'list');
}
