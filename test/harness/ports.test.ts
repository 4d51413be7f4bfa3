import { createServer } from 'node:net';
import t from 'tap';
import { onFreePort } from './ports.js';

/** A port taken between the probe and the bind is tried again; any other start-up failure is not. */
t.test('a port taken meanwhile: another port, the server up', async (t) => {
  const tried: number[] = [];
  const port = await onFreePort(async (p) => {
    tried.push(p);
    const server = createServer();
    if (tried.length === 1) {
      // The injected fault: someone else binds the port first, as another test's server may.
      const squatter = createServer();
      await new Promise<void>((r) => squatter.listen(p, '127.0.0.1', r));
      t.teardown(() => squatter.close());
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', resolve);
    });
    t.teardown(() => server.close());
    return p;
  });
  t.equal(tried.length, 2, 'two attempts');
  t.not(tried[0], tried[1], 'on two ports');
  t.equal(port, tried[1]);
});

t.test('any other failure is thrown at once', async (t) => {
  let attempts = 0;
  await t.rejects(
    onFreePort(async () => {
      attempts++;
      throw new Error('mariadb exited during start-up; log: [ERROR] unknown variable');
    }),
    /unknown variable/,
  );
  t.equal(attempts, 1);
});
