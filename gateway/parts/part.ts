import { isSvError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';

/**
 * One piece of the running gateway. Its dependencies are given to its constructor (other parts
 * among them); `start()` may use them, since the parts before it in the list have started.
 */
export interface Part {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

/** A part whose start returns how to stop it (timers, notifiers). */
export function running(name: string, start: () => () => void): Part {
  let stop = () => {};
  return {
    name,
    start: () => {
      stop = start();
    },
    stop: () => stop(),
  };
}

/**
 * Starts parts in list order and stops them in reverse (the shape of zigbee2mqtt's controller
 * and its extensions, or fastify's onClose hooks). A part that fails to start stops the ones
 * already started, then the error goes to the caller. Stopping goes on past a part that fails,
 * and throws the first failure at the end.
 */
export class Parts {
  private started: Part[] = [];

  constructor(
    private readonly list: readonly Part[],
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    for (const p of this.list) {
      try {
        await p.start();
      } catch (err) {
        // An error the gateway understood (a bad data dir) or the system reported (a port in use,
        // an address it does not have) is a line, not a stack; a stack is for a bug.
        const what = isSvError(err) || isSystemError(err) ? { code: err.code, reason: err.message } : { err };
        this.log.error({ ...what, part: p.name }, 'gateway part failed to start; stopping the others');
        await this.stop().catch(() => {});
        throw err;
      }
      this.started.push(p);
    }
  }

  async stop(): Promise<void> {
    let first: unknown;
    for (const p of this.started.reverse()) {
      try {
        await p.stop();
      } catch (err) {
        this.log.error({ err, part: p.name }, 'gateway part failed to stop');
        first ??= err;
      }
    }
    this.started = [];
    if (first !== undefined) throw first;
  }
}

function isSystemError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  return (
    err instanceof Error &&
    typeof (err as NodeJS.ErrnoException).syscall === 'string' &&
    typeof (err as NodeJS.ErrnoException).code === 'string'
  );
}
