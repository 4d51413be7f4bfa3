import { Redis } from 'ioredis';
import t from 'tap';
import { startRedis } from './index.js';

t.test('private redis: write, read back, survive kill -9 and restart, slow and black-hole', async (t) => {
  const redis = await startRedis(t);
  t.notOk(redis.external, 'a private instance, not a shared server');
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  t.teardown(() => client.disconnect());

  await client.set('sv:test', 'hello');
  t.equal(await client.get('sv:test'), 'hello', 'value read back through the real server');

  await redis.kill();
  const within = <T>(p: Promise<T>, ms: number) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);
  await t.rejects(within(client.get('sv:test'), 5000), 'a command fails (or gets no answer) while the server is down');
  await redis.start();
  await client.set('sv:after', 'again');
  t.equal(await client.get('sv:after'), 'again', 'the client works again after the restart');
  t.equal(await client.get('sv:test'), null, 'the killed server kept nothing (no persistence configured)');

  redis.slow(300);
  const started = performance.now();
  await client.get('sv:after');
  t.ok(performance.now() - started >= 250, 'the proxy adds latency to each round trip');
  redis.heal();

  redis.blackhole();
  const pending = client.get('sv:after').then(
    () => 'answered',
    () => 'failed',
  );
  const outcome = await Promise.race([pending, new Promise((r) => setTimeout(() => r('silent'), 500))]);
  t.equal(outcome, 'silent', 'a black-holed server never answers');
  redis.heal();
  client.disconnect();
});
