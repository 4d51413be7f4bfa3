import t from 'tap';
import { Command } from '../../shared/protocol/messages.js';
import { startGateway } from '../testing/fixture.js';
import type { CommandSender } from './command-sender.js';

/**
 * A command the kit does not answer is retried with the same id AND the same `sentTs` (ADR 086):
 * a kit that reset mid-command and forgot the id must still see a retry as old as the command,
 * so that a stale press expires instead of being executed late. Real gateway, real MQTT over TLS;
 * the gateway's wall clock moves 4 s between attempts, so a fresh `sentTs` would show.
 */
t.test('a retried command carries the first attempt’s sentTs', async (t) => {
  let nowMs = Date.UTC(2026, 11, 8, 1, 0, 0);
  const gw = await startGateway(
    t,
    {
      'cloud.url': 'http://127.0.0.1:9',
      'cloud.token': 'svg_unreachable-cloud-token-0000',
      'control.ackTimeoutMs': 200,
      'control.retries': 2,
      'control.commandTtlMs': 5000,
    },
    { now: () => nowMs },
  );
  const secret = await gw.addKit('kit-retry');
  const kit = await gw.connect({ clientId: 'kit-retry', username: 'kit-retry', password: secret });
  t.teardown(() => kit.end(true));
  const received: Command[] = [];
  let answer: ((cmd: Command) => void) | undefined;
  kit.on('message', (_topic, payload) => {
    const cmd = Command.parse(JSON.parse(payload.toString()));
    received.push(cmd);
    nowMs += 4000; // the gateway's clock moves on before the next attempt
    answer?.(cmd);
  });
  await kit.subscribeAsync('sv/kit-retry/cmd', { qos: 1 });

  const sender = (gw.gateway.control as unknown as { sender: CommandSender }).sender;
  const issuedAt = nowMs;
  const sent = sender.send('kit-retry', { kind: 'press', expect: 'off', reason: 'test' });
  const until = async (ok: () => boolean, what: string) => {
    for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    t.ok(ok(), what);
  };
  await until(() => received.length === 3, 'the first attempt and two retries reached the kit');
  t.same(
    received.map((c) => c.id),
    [sent.id, sent.id, sent.id],
    'every attempt has the same id',
  );
  t.same(
    received.map((c) => c.sentTs),
    [issuedAt, issuedAt, issuedAt],
    'every attempt carries the first attempt’s sentTs, though the clock moved 4 s between them',
  );
  await until(() => sender.inFlight === 0, 'given up after the retries');
  t.equal(sender.stats.retries, 2, 'two retries counted');

  // A kit that answers the second attempt: acked once, no further retry.
  received.length = 0;
  answer = (cmd) => {
    if (received.length === 2) kit.publish('sv/kit-retry/ack', JSON.stringify({ v: 1, id: cmd.id, ok: true, heater: false }), { qos: 1 });
  };
  const second = sender.send('kit-retry', { kind: 'safe', reason: 'test' });
  const secondAt = nowMs;
  await until(() => sender.inFlight === 0, 'the answered command is no longer in flight');
  await new Promise((r) => setTimeout(r, 400)); // longer than the ack timeout: no third attempt
  t.same(
    received.map((c) => [c.id, c.sentTs]),
    [
      [second.id, secondAt],
      [second.id, secondAt],
    ],
    'the answered retry was the last attempt, with the first sentTs',
  );
  t.equal(sender.stats.acked, 1, 'acked once');
});
