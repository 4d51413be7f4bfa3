import type { Logger } from '../../shared/log.js';

/** Runs a long-lived service until the stop signal, then stops it (reverse order inside). */
export async function serveUntilStopped(
  service: { start(): Promise<unknown>; stop(): Promise<void> },
  stopSignal: AbortSignal,
  log: Logger,
): Promise<number> {
  await service.start();
  await new Promise<void>((resolve) => {
    if (stopSignal.aborted) resolve();
    else stopSignal.addEventListener('abort', () => resolve(), { once: true });
  });
  log.info({ signal: String(stopSignal.reason) }, 'stopping');
  await service.stop();
  return 0;
}

export function notYet(what: string, issue: number) {
  return async (ctx: { stderr: NodeJS.WritableStream }) => {
    ctx.stderr.write(`sousvide ${what}: not implemented yet (tracked in issue ${issue})\n`);
    return 1;
  };
}
