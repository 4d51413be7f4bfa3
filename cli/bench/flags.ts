import type { ClientModel } from '../../loadtest/partition.js';
import { SvError } from '../../shared/errors.js';
import type { CommandContext } from '../command.js';

/**
 * A numeric flag of a benchmark or load-test command, checked once: a value that is not a number
 * in range stops the command with an error naming the flag (exit code 2). `env` is the design's
 * environment name for the same knob, used when the flag is absent.
 */
export function numberFlag(
  ctx: Pick<CommandContext, 'flags' | 'env'>,
  name: string,
  def: number,
  o: { min?: number; max?: number; integer?: boolean; env?: string } = {},
): number {
  const raw = ctx.flags[name] ?? (o.env ? ctx.env[o.env] : undefined);
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  const min = o.min ?? 1;
  const max = o.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isFinite(n) || n < min || n > max || ((o.integer ?? true) && !Number.isInteger(n))) {
    const what = `${(o.integer ?? true) ? 'an integer' : 'a number'} from ${min} to ${max}`;
    throw new SvError('SV_ERR_CLI_USAGE', `--${name}: ${what} (got ${JSON.stringify(raw)})`, [`--${name}: ${what}`]);
  }
  return n;
}

/** `--report FILE` (default docs/benchmarks.md; "-" = none). */
export function reportFlag(ctx: Pick<CommandContext, 'flags'>): string | undefined {
  const report = typeof ctx.flags.report === 'string' ? ctx.flags.report : 'docs/benchmarks.md';
  return report === '-' ? undefined : report;
}

/**
 * `--client lean|mqttjs|native` of `bench ingest` and `loadtest` (default native). The native
 * generator is compiled here, so that a missing compiler or OpenSSL headers stop the command at
 * once with an error naming them, before any kit is provisioned: never a silent fallback to
 * another generator, which would change the measurement (ADR 021).
 */
export async function clientFlag(ctx: Pick<CommandContext, 'flags'>, def: ClientModel = 'native'): Promise<ClientModel> {
  const client = ctx.flags.client === undefined ? def : String(ctx.flags.client);
  if (client !== 'lean' && client !== 'mqttjs' && client !== 'native')
    throw new SvError('SV_ERR_CLI_USAGE', `--client: lean, mqttjs or native (got ${JSON.stringify(client)})`, [
      '--client: lean, mqttjs or native',
    ]);
  if (client === 'native') (await import('../../loadtest/native/build.js')).buildKitgen();
  return client;
}

export const CLIENT_FLAG_HELP =
  'Load generator: native (kitgen.c: C, epoll, OpenSSL; default), lean (mqtt-packet in Node) or mqttjs (MQTT.js; the cross-check).';
