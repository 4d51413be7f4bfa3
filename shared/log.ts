import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LogOptions {
  name: string;
  level?: string;
  /** Pretty (human) output; default: when stdout is a terminal. */
  pretty?: boolean;
  /** Extra fields on every line. */
  base?: Record<string, unknown>;
  /** Destination (tests capture logs here). */
  destination?: NodeJS.WritableStream;
}

/**
 * The one logger factory: pino JSON by default, human-readable on a terminal.
 * Secrets never reach a log line: the redact paths cover every field name that carries one.
 */
export const REDACT_PATHS = [
  'secret',
  'password',
  'token',
  'key',
  'apiKey',
  '*.secret',
  '*.password',
  '*.token',
  '*.apiKey',
  'req.headers.authorization',
  'headers.authorization',
  'config.cloud.token',
];

export function createLogger(options: LogOptions): Logger {
  const pretty = options.pretty ?? (process.stdout.isTTY === true && options.destination === undefined);
  const base: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    base: { pid: process.pid, ...options.base },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return options.destination ? pino(base, options.destination as pino.DestinationStream) : pino(base);
}
