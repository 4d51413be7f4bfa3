import { freePort } from '../../shared/net/free-port.js';

export { freePort };

/**
 * Starts a server on a free port, and again on another one if the port was taken between
 * freePort's probe and the server's bind (another test's server or an outgoing connection's
 * ephemeral port: the race freePort leaves). Other start-up failures are thrown at once.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (err) {
      const taken = /address already in use|EADDRINUSE/i.test((err as Error).message);
      if (!taken || attempt >= tries) throw err;
    }
  }
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}
