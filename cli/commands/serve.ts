import { isSvError, SvError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';

/** How long a start or a stop may take before the process gives up on it (SIGTERM included). */
export const STOP_TIMEOUT_MS = 15_000;

export interface ServeOptions {
  /** The config key behind a listen port (e.g. 8883 → `mqtt.port`), for the error line. */
  portKey?: (port: number) => string | undefined;
  /** The config key behind a listen address (e.g. `http.host`), for a name that does not resolve. */
  hostKey?: (host: string) => string | undefined;
}

/**
 * Runs a long-lived service until the stop signal, then stops it (reverse order inside). A
 * start-up failure stops what had started and becomes one line naming the port or key and the
 * cause (exit 2); a stop signal during start-up stops the service as soon as the start settles.
 * Both waits are bounded by STOP_TIMEOUT_MS, and the CLI's entry exits once this returns.
 */
export async function serveUntilStopped(
  service: { start(): Promise<unknown>; stop(): Promise<void> },
  stopSignal: AbortSignal,
  log: Logger,
  options: ServeOptions = {},
): Promise<number> {
  const stopRequested = new Promise<'stop'>((resolve) => {
    if (stopSignal.aborted) resolve('stop');
    else stopSignal.addEventListener('abort', () => resolve('stop'), { once: true });
  });
  let failure: unknown;
  const started = service.start().then(
    () => 'started' as const,
    (err: unknown) => {
      failure = err;
      return 'failed' as const;
    },
  );
  const first = await Promise.race([started, stopRequested]);
  const outcome = first === 'stop' ? await bounded(started, 'start') : first;
  if (outcome === 'failed') {
    log.debug({ err: failure }, 'start-up failed');
    await bounded(service.stop(), 'stop').catch(() => {});
    throw startupError(failure, options);
  }
  if (first !== 'stop') await stopRequested;
  log.info({ signal: String(stopSignal.reason) }, 'stopping');
  await bounded(service.stop(), 'stop');
  return 0;
}

async function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new SvError('SV_ERR_STARTUP', `${what} did not finish within ${STOP_TIMEOUT_MS / 1000} s`)),
      STOP_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first config key whose value is the one a listen error names (for ServeOptions' portKey and hostKey). */
export function keyOf<T>(keys: ReadonlyArray<readonly [key: string, value: T | undefined]>): (value: T) => string | undefined {
  return (value) => keys.find(([, v]) => v === value)?.[0];
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'is in use by another program',
  EACCES: 'needs privileges this process does not have',
  EADDRNOTAVAIL: 'is on an address this machine does not have',
};

/** One line for the user: the key or port and the cause; our own SvErrors pass as they are. */
function startupError(err: unknown, options: ServeOptions): Error {
  if (isSvError(err)) return err;
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  const cause = e.code ? LISTEN_ERRORS[e.code] : undefined;
  // An address this machine does not have: the host is the mistake, whatever the port.
  if (e.code === 'EADDRNOTAVAIL' && typeof e.address === 'string') {
    const key = options.hostKey?.(e.address);
    const m = `${key ? `${key}: ` : ''}${e.address} ${cause} (${e.code})`;
    return new SvError('SV_ERR_STARTUP', m, [m]);
  }
  if (cause && typeof e.port === 'number') {
    const key = options.portKey?.(e.port);
    const m = `${key ? `${key}: ` : ''}port ${e.port}${e.address ? ` on ${e.address}` : ''} ${cause} (${e.code})`;
    return new SvError('SV_ERR_STARTUP', m, [m]);
  }
  if (cause && typeof e.address === 'string') {
    // Node leaves the port out of a listen error on port 0 (any free port): the address is the mistake.
    const key = options.hostKey?.(e.address);
    const m = `${key ? `${key}: ` : ''}${e.address} ${cause} (${e.code})`;
    return new SvError('SV_ERR_STARTUP', m, [m]);
  }
  const host = (err as { hostname?: unknown }).hostname;
  if ((e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') && typeof host === 'string') {
    const key = options.hostKey?.(host);
    const m = `${key ? `${key}: ` : ''}${host} is not a name or address this machine can listen on (${e.code})`;
    return new SvError('SV_ERR_STARTUP', m, [m]);
  }
  const m = `could not start: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}`;
  return new SvError('SV_ERR_STARTUP', m, [m]);
}
