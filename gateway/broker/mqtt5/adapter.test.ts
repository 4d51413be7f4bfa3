import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type ErrorWithReasonCode } from 'mqtt';
import t from 'tap';
import { Stats } from '../../stats.js';
import { acceptMqtt, type Refusal } from './adapter.js';

/** The adapter in front of a bare Aedes (no gateway) on plain TCP: what it hands the broker's onRefused. */
async function bareBroker(
  t: { teardown(fn: () => Promise<void> | void): void },
  authorizePublish?: (client: unknown, packet: unknown, done: (err?: Error) => void) => void,
) {
  const aedes = new Aedes(authorizePublish ? { authorizePublish } : {});
  await aedes.listen();
  const stats = new Stats();
  const refusals: Refusal[] = [];
  const server = createServer((socket) =>
    acceptMqtt(socket, (s) => aedes.handle(s), { stats, maxPacketBytes: 4096, connectTimeoutMs: 5000, onRefused: (r) => refusals.push(r) }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  t.teardown(async () => {
    server.close();
    await new Promise<void>((r) => aedes.close(() => r()));
  });
  const connect = (opts: mqtt.IClientOptions) =>
    mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 0, ...opts });
  return { stats, refusals, connect };
}

t.test('onRefused gets every refusal the adapter answers itself, in the security log format of hooks.ts', async (t) => {
  const b = await bareBroker(t);
  const c = await b.connect({ clientId: 'kit-a1' });
  const err = await c.publishAsync('sv/kit-b1/telemetry', '{}', { qos: 1 }).catch((e: ErrorWithReasonCode) => e);
  t.equal((err as ErrorWithReasonCode).code, 0x87);
  await c.subscribeAsync('#', { qos: 1 }).catch(() => {});
  await c.endAsync();
  const refused = await b
    .connect({ clientId: 'kit-a1', properties: { authenticationMethod: 'SCRAM-SHA-1' } })
    .catch((e: ErrorWithReasonCode) => e.code);
  t.equal(refused, 0x8c);
  t.same(b.refusals, [
    { counter: 'acl_denied', reason: 'publish', clientId: 'kit-a1', remote: '127.0.0.1', detail: 'publish sv/kit-b1/telemetry' },
    { counter: 'acl_denied', reason: 'subscribe', clientId: 'kit-a1', remote: '127.0.0.1', detail: 'subscribe #' },
    { counter: 'auth_failed', reason: 'bad_auth_method', clientId: 'kit-a1', remote: '127.0.0.1', detail: 'bad_auth_method' },
  ]);
  t.equal(b.stats.totals.acl_denied + b.stats.totals.auth_failed, 0, 'with onRefused wired, counting is left to it (no double count)');
});

t.test("Aedes' hooks stay the second line of defence for what the adapter forwards", async (t) => {
  const b = await bareBroker(t, (_client, _packet, done) => done(new Error('refused by the hook')));
  const c = await b.connect({ clientId: 'kit-a1' });
  const gone = new Promise<void>((r) => c.once('close', () => r()));
  c.publish('sv/kit-a1/telemetry', '{}', { qos: 1 });
  await gone;
  t.pass('a publish the adapter allowed but the hook refused closed the connection (the 3.1.1 behaviour)');
  t.same(b.refusals, [], 'the adapter refused nothing itself');
});
