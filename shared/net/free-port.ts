import { createServer } from 'node:net';

/**
 * The ports probed first: below the kernel's ephemeral range (Linux's default 32768–60999), which
 * every outgoing connection on the machine draws from. A port the OS hands out as free (port 0)
 * can be taken by such a connection before the process it was meant for binds it; one down here
 * can only be taken by another prober that drew the same number.
 */
const LOW = 20_000;
const HIGH = 32_767;

function probe(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A free TCP port on 127.0.0.1 for a server another process will bind: a random one below the
 * ephemeral range that is free now, else one the OS picks. A small race remains until it is bound.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await probe(LOW + Math.floor(Math.random() * (HIGH - LOW + 1)));
    if (port !== null) return port;
  }
  const port = await probe(0);
  if (port === null) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}
