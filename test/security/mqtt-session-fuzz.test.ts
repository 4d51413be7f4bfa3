import type { TLSSocket } from 'node:tls';
import mqttPacket, { type Packet } from 'mqtt-packet';
import t, { type Test } from 'tap';
import { rawSession, v5Connect } from '../../gateway/broker/mqtt5/testing.js';
import { startGateway } from '../../gateway/testing/fixture.js';
import { fuzzFrameCount, fuzzSeed } from './mqtt-fuzz.js';
import { MqttSessionFuzzer, type SessionFuzzFrame, sessionFuzzKinds } from './mqtt-session-fuzz.js';
import { delta, honestKit, pool, readCounters, sleep } from './support.js';

/**
 * Broken packets inside authenticated sessions (mqtt-session-fuzz.ts), MQTT 3.1.1 and MQTT 5,
 * over real TLS, while an honest kit keeps publishing. After each broken packet the test sends
 * PINGREQ: the session either answers (the packet was handled: stored, dead-lettered, or refused
 * with a reason code in MQTT 5) or the gateway closes it and counts it. Nothing may hang, and
 * the honest kit must not notice. Reproduce with SV_FUZZ_SEED=<seed>; more frames with
 * SV_SESSION_FUZZ_FRAMES=<n>.
 */
const MAX_PACKET = 4096;
const KEEPALIVE_S = 2; // a body that never completes is ended by the keepalive (1.5 × 2 s)
const WORKERS = 12;

type Outcome = 'alive' | 'closed' | 'stuck';

function outcome(socket: TLSSocket, packets: Packet[], closed: Promise<void>, deadlineMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('stuck'), deadlineMs);
    void closed.then(() => {
      clearTimeout(timer);
      resolve('closed');
    });
    const poll = setInterval(() => {
      if (packets.some((p) => p.cmd === 'pingresp')) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve('alive');
      }
    }, 20);
    socket.once('close', () => clearInterval(poll));
    setTimeout(() => clearInterval(poll), deadlineMs).unref();
  });
}

for (const version of [4, 5] as const) {
  t.test(
    `broken MQTT ${version === 5 ? '5' : '3.1.1'} packets in authenticated sessions: answered or closed and counted; an honest kit is unaffected`,
    (t) => sessionFuzz(t, version),
  );
}

async function sessionFuzz(t: Test, version: 4 | 5): Promise<void> {
  const seed = fuzzSeed();
  const n = fuzzFrameCount({ SV_FUZZ_FRAMES: process.env.SV_SESSION_FUZZ_FRAMES }, 300);
  t.comment(`fuzz seed ${seed}, ${n} frames (reproduce: SV_FUZZ_SEED=${seed} SV_SESSION_FUZZ_FRAMES=${n})`);
  const gw = await startGateway(t, {
    'mqtt.maxPacketBytes': MAX_PACKET,
    'mqtt.connRatePerAddr': 0,
    'mqtt.publishRatePerDevice': 0, // every broken packet must reach the parser, not the rate limit
  });
  const ids = Array.from({ length: WORKERS }, (_, i) => `kit-f${version}-${i}`);
  const secrets = new Map<string, string>();
  for (const id of ids) secrets.set(id, await gw.addKit(id));
  // One fuzzer per worker (its own kit id in the topics), frames dealt round robin.
  const perWorker = ids.map((id, w) =>
    new MqttSessionFuzzer(seed + w, { deviceId: id, maxPacketBytes: MAX_PACKET, protocolVersion: version }).frames(Math.ceil(n / WORKERS)),
  );
  const kit = await honestKit(gw, `kit-honest${version}`);
  t.teardown(() => kit.stop());
  const before = readCounters(await gw.metrics());

  const results: { id: string; f: SessionFuzzFrame; got: Outcome }[] = [];
  const failed: string[] = [];
  await pool(ids, WORKERS, async (id) => {
    const w = ids.indexOf(id);
    for (const f of perWorker[w] ?? []) {
      const c = await rawSession(gw, version);
      c.send({ ...v5Connect(id, secrets.get(id) as string), protocolVersion: version, keepalive: KEEPALIVE_S } as Packet);
      const ack = await c.connack();
      const code = version === 5 ? ack.reasonCode : ack.returnCode;
      if (code !== 0) {
        failed.push(`#${f.index} ${id}: CONNACK ${code}`);
        c.socket.destroy();
        continue;
      }
      c.socket.write(f.bytes);
      c.socket.write(mqttPacket.generate({ cmd: 'pingreq' }, { protocolVersion: version }));
      const got = await outcome(c.socket, c.packets, c.closed, KEEPALIVE_S * 1500 + 5000);
      results.push({ id, f, got });
      if (got !== 'closed') {
        c.send({ cmd: 'disconnect', ...(version === 5 ? { reasonCode: 0 } : {}) } as Packet); // ours: a clean end, not counted
        c.socket.end();
        await c.closed;
      }
    }
  });
  const show = (r: (typeof results)[number]) => `#${r.f.index} ${r.f.kind} ${r.id} ${r.f.bytes.subarray(0, 48).toString('hex')}`;
  t.same(failed, [], 'every fuzz session authenticated');
  t.same(results.filter((r) => r.got === 'stuck').map(show), [], 'no session hung: each answered PINGREQ or was closed');
  const wrong = results.filter((r) => (r.f.expect === 'closed' || r.f.expect === 'too_large') && r.got !== 'closed');
  t.same(wrong.map(show), [], 'packets that must end the session ended it');

  await sleep(200);
  const moved = delta(before, readCounters(await gw.metrics()));
  t.comment(`counters moved: ${JSON.stringify(moved)}`);
  const closed = results.filter((r) => r.got === 'closed').length;
  const counted = (moved.protocol_error ?? 0) + (moved.packet_too_large ?? 0) + (moved.rate_limited ?? 0);
  if (version === 5) {
    // MQTT 5 refuses by reason code without closing, so every close is a protocol error or size.
    t.equal(counted, closed, `each of the ${closed} sessions the gateway closed was counted exactly once`);
  } else {
    // MQTT 3.1.1 closes on an ACL refusal too (acl_denied counts each refused filter of a SUBSCRIBE).
    const acl = moved.acl_denied ?? 0;
    t.ok(
      counted <= closed && closed <= counted + acl,
      `the ${closed} closed sessions are counted: ${counted} as malformed/size, the rest by ACL (${acl})`,
    );
  }
  t.ok((moved.packet_too_large ?? 0) >= results.filter((r) => r.f.expect === 'too_large').length, 'oversized packets as packet_too_large');
  t.equal(moved.auth_failed ?? 0, 0, 'no authentication failed');
  t.equal(new Set(results.map((r) => r.f.kind)).size, sessionFuzzKinds(version).length, 'every kind of broken packet was sent');
  t.ok(
    results.some((r) => r.got === 'alive'),
    'some broken packets were still well-formed MQTT and were handled without a disconnect',
  );

  const result = await kit.stop();
  t.same(result.errors, [], 'the honest kit had no publish error');
  t.equal(result.closes, 0, 'and never lost its connection');
  t.same(kit.rows(gw), { n: result.acked, uniq: result.acked, maxSeq: result.acked - 1 }, 'its telemetry is stored once per PUBACK');
  t.equal((await fetch(`http://127.0.0.1:${gw.httpPort}/healthz`)).status, 200, 'the gateway still answers');
  kit.client.end(true);
}
