import t from 'tap';
import { startGateway } from '../../gateway/testing/fixture.js';
import { type Expect, FUZZ_KINDS, type FuzzFrame, fuzzFrameCount, fuzzSeed, MqttFuzzer } from './mqtt-fuzz.js';
import { closedByServer, delta, honestKit, pool, rawTls, readCounters, sleep } from './support.js';

/**
 * Malformed MQTT over real TLS: thousands of broken frames (mqtt-fuzz.ts), one TLS connection
 * each, while an honest kit keeps publishing. Every fuzz connection must be closed by the gateway
 * and counted exactly once; the honest kit must see every PUBACK and its rows stored once.
 * Reproduce a failure with SV_FUZZ_SEED=<seed>; run more with SV_FUZZ_FRAMES=<n>.
 */
const CONNECT_TIMEOUT_MS = 1000;
const MAX_PACKET = 4096;

t.test('fuzzed MQTT frames are refused and counted once each; an honest kit is unaffected', async (t) => {
  const seed = fuzzSeed();
  const n = fuzzFrameCount();
  t.comment(`fuzz seed ${seed}, ${n} frames (reproduce: SV_FUZZ_SEED=${seed} SV_FUZZ_FRAMES=${n})`);
  const gw = await startGateway(t, {
    'mqtt.connectTimeoutMs': CONNECT_TIMEOUT_MS,
    'mqtt.maxPacketBytes': MAX_PACKET,
    'mqtt.connRatePerAddr': 0, // every frame must reach the parser, not the connection-rate limit
    'auth.maxFailures': 1_000_000, // nor the ban (brute-force.test.ts checks it)
    'auth.failureDelayMs': 0,
  });
  const frames = new MqttFuzzer(seed, { maxPacketBytes: MAX_PACKET, deviceId: 'kit-fuzz' }).frames(n);
  await gw.addKit('kit-fuzz'); // CONNECTs use this id with a wrong secret (and unknown ids)
  const kit = await honestKit(gw, 'kit-honest');
  t.teardown(() => kit.stop());
  const before = readCounters(await gw.metrics());
  const stuck: FuzzFrame[] = [];
  const failed: string[] = [];
  await pool(frames, 48, async (f) => {
    let s: Awaited<ReturnType<typeof rawTls>>;
    try {
      s = await rawTls({ port: gw.mqttPort, ca: gw.ca });
    } catch (err) {
      failed.push(`#${f.index} ${f.kind}: TLS ${(err as Error).message}`);
      return;
    }
    const ending = closedByServer(s, CONNECT_TIMEOUT_MS + 30_000);
    s.write(f.bytes);
    if ((await ending) === 'deadline') stuck.push(f);
  });
  const show = (f: FuzzFrame) => `#${f.index} ${f.kind} ${f.bytes.subarray(0, 64).toString('hex')}`;
  t.same(failed, [], 'every fuzz connection completed its TLS handshake');
  t.same(stuck.map(show), [], 'the gateway closed every fuzz connection itself');

  // Every fuzz connection counted exactly once, under one refusal reason.
  await sleep(100);
  const moved = delta(before, readCounters(await gw.metrics()));
  t.comment(`counters moved: ${JSON.stringify(moved)}`);
  const total = ['auth_failed', 'acl_denied', 'rate_limited', 'packet_too_large', 'protocol_error'].reduce(
    (a, k) => a + (moved[k] ?? 0),
    0,
  );
  t.equal(total, n, 'refusals counted = fuzz connections');
  t.equal(moved.conn_refused ?? 0, 0, 'none was refused before TLS (the frames all reached the broker)');
  t.equal(moved.auth_ok ?? 0, 0, 'no fuzz frame authenticated');

  // Frames whose fate is known by construction must be under their reason.
  const exact = (e: Expect) => frames.filter((f) => f.expect === e).length;
  const got = (e: Expect) => (e === 'too_large' ? (moved.packet_too_large ?? 0) : (moved[`protocol_error{${e}}`] ?? 0));
  for (const e of ['malformed', 'too_large', 'protocol_version', 'connect_timeout'] as const) {
    t.ok(got(e) >= exact(e), `${e}: ${got(e)} counted ≥ ${exact(e)} frames built to be ${e}`);
  }
  const loose = exact('refused');
  const extra = (['malformed', 'too_large', 'protocol_version', 'connect_timeout'] as const).reduce((a, e) => a + got(e) - exact(e), 0);
  t.equal(extra + (moved.auth_failed ?? 0), loose, 'the mutated frames account for the rest (parse errors, refused CONNECTs, timeouts)');
  const kinds = new Set(frames.map((f) => f.kind));
  t.equal(kinds.size, FUZZ_KINDS.length, 'every kind of broken frame was sent');

  // The honest kit kept its connection and every acknowledged message is stored exactly once.
  const result = await kit.stop();
  t.same(result.errors, [], 'the honest kit had no publish error');
  t.equal(result.closes, 0, 'and never lost its connection');
  t.ok(result.acked > 0, `it kept getting PUBACKs (${result.acked})`);
  t.same(kit.rows(gw), { n: result.acked, uniq: result.acked, maxSeq: result.acked - 1 }, 'its telemetry is stored once per PUBACK');
  t.equal((await fetch(`http://127.0.0.1:${gw.httpPort}/healthz`)).status, 200, 'the gateway still answers');
  const late = await gw.connect({ clientId: 'kit-fuzz', username: 'kit-fuzz', password: 'still-wrong' }).catch((e: Error) => e);
  t.match(String(late), /Bad username or password|Not authorized/, 'and still answers new connections with a clean refusal');
  kit.client.end(true);
});
