import mqtt from 'mqtt';
import t from 'tap';
import { startMosquitto } from './index.js';

t.test('a private Mosquitto with a password file: users get in, others are refused, stop and start', async (t) => {
  const broker = await startMosquitto(t, { users: { ha: 's3cret-pass' } });
  t.notOk(broker.external, 'started by the harness');
  const refused = await mqtt.connectAsync(broker.url, { username: 'ha', password: 'wrong', reconnectPeriod: 0 }).then(
    (c) => {
      c.end(true);
      return 'connected';
    },
    (err: Error) => err.message,
  );
  t.match(refused, /Not authorized|Bad username or password/i, `a wrong password is refused (${refused})`);

  const c = await mqtt.connectAsync(broker.url, { username: 'ha', password: 's3cret-pass', reconnectPeriod: 0 });
  t.teardown(() => c.end(true));
  await c.subscribeAsync('probe/#', { qos: 1 });
  const got = new Promise<string>((resolve) => c.once('message', (_t, p) => resolve(p.toString())));
  await c.publishAsync('probe/x', 'hello', { qos: 1 });
  t.equal(await got, 'hello', 'a message goes through the broker');

  await broker.stop();
  // (mqtt.js' connectAsync waits forever on a plain close with reconnecting off: listen for it.)
  const down = await new Promise<string>((resolve) => {
    const x = mqtt.connect(broker.url, { username: 'ha', password: 's3cret-pass', reconnectPeriod: 0, connectTimeout: 2000 });
    x.once('connect', () => {
      x.end(true);
      resolve('connected');
    });
    x.once('close', () => resolve('failed'));
  });
  t.equal(down, 'failed', 'a stopped broker takes no connection');
  await broker.start();
  const again = await mqtt.connectAsync(broker.url, { username: 'ha', password: 's3cret-pass', reconnectPeriod: 0 });
  t.ok(again.connected, 'it takes connections again after start');
  await again.endAsync();
});
