import type { IClientOptions } from 'mqtt';
import t from 'tap';
import { revoke } from '../../gateway/devices/provision.js';
import { closed, startGateway, telemetry } from '../../gateway/testing/fixture.js';
import { delta, honestKit, readCounters, sleep } from './support.js';

/**
 * Who may connect and what a connected kit may touch, against a real gateway over TLS with
 * mqtt.js clients. Each refusal must move its counter by exactly one and be recorded, while an
 * honest kit stays connected and keeps getting PUBACKs. (gateway/broker/auth.test.ts and
 * acl.test.ts cover the same rules one by one; this is the checklist of docs/security.md.)
 */
const ATTACKER = '127.0.0.2'; // another source address, so the honest kit's address is never throttled

t.test('authentication, client-id spoofing, ACL and packet size: refused, counted once, recorded', async (t) => {
  const gw = await startGateway(t, { 'auth.maxFailures': 1000, 'auth.failureDelayMs': 0, 'mqtt.maxPacketBytes': 2048 });
  const secretA = await gw.addKit('kit-a');
  const secretB = await gw.addKit('kit-b');
  const secretR = await gw.addKit('kit-revoked');
  const kit = await honestKit(gw, 'kit-honest');
  t.teardown(() => kit.stop());
  const as = (o: IClientOptions) => gw.connect({ ...o, localAddress: ATTACKER } as IClientOptions);

  /** Runs `attempt`, then checks exactly the expected counters moved. */
  const expectMoves = async (what: string, attempt: () => Promise<unknown>, expected: Record<string, number>) => {
    const before = readCounters(await gw.metrics());
    await attempt();
    await sleep(50);
    const moved = delta(before, readCounters(await gw.metrics()));
    for (const k of ['mqtt_recv', 'parse_ok', 'store_ok', 'puback_sent', 'auth_ok', 'security_log_dropped']) delete moved[k];
    // The honest kit's readings also reach the live stream (stream_published, …): background, not a refusal.
    for (const k of Object.keys(moved)) if (k.startsWith('stream_')) delete moved[k];
    t.same(moved, expected, `${what}: counters moved by ${JSON.stringify(expected)}`);
  };
  const refused = (o: IClientOptions, re: RegExp) => async () => {
    const err = await as(o).then(
      (c) => {
        c.end(true);
        return null;
      },
      (e: Error) => e,
    );
    t.match(String(err), re);
  };

  await expectMoves('anonymous', refused({ clientId: 'kit-a' }, /Bad username or password/), {
    auth_failed: 1,
    'auth_failed{no_credentials}': 1,
  });
  await expectMoves('username without password', refused({ clientId: 'kit-a', username: 'kit-a' }, /Bad username or password/), {
    auth_failed: 1,
    'auth_failed{no_credentials}': 1,
  });
  await expectMoves(
    'wrong secret',
    refused({ clientId: 'kit-a', username: 'kit-a', password: `${secretA}x` }, /Bad username or password/),
    {
      auth_failed: 1,
      'auth_failed{bad_secret}': 1,
    },
  );
  await expectMoves(
    "another kit's secret",
    refused({ clientId: 'kit-a', username: 'kit-a', password: secretB }, /Bad username or password/),
    { auth_failed: 1, 'auth_failed{bad_secret}': 1 },
  );
  await expectMoves('unknown device', refused({ clientId: 'kit-ghost', username: 'kit-ghost', password: secretA }, /Not authorized/), {
    auth_failed: 1,
    'auth_failed{unknown_device}': 1,
  });
  revoke({ dataDir: gw.dataDir } as never, 'kit-revoked');
  await expectMoves(
    'revoked kit with its (once valid) secret',
    refused({ clientId: 'kit-revoked', username: 'kit-revoked', password: secretR }, /Not authorized/),
    { auth_failed: 1, 'auth_failed{revoked}': 1 },
  );
  await expectMoves(
    'client id ≠ username (spoofing kit-b with kit-a credentials)',
    refused({ clientId: 'kit-b', username: 'kit-a', password: secretA }, /Not authorized/),
    { auth_failed: 1, 'auth_failed{client_id_mismatch}': 1 },
  );
  await expectMoves(
    "client id of the honest kit with another kit's credentials",
    refused({ clientId: 'kit-honest', username: 'kit-a', password: secretA }, /Not authorized/),
    { auth_failed: 1, 'auth_failed{client_id_mismatch}': 1 },
  );
  await expectMoves(
    'a client id that is not a device id',
    refused({ clientId: "kit-a'; DROP TABLE devices; --", username: 'kit-a', password: secretA }, /Identifier rejected/),
    { auth_failed: 1, 'auth_failed{bad_client_id}': 1 },
  );

  // Connected as kit-a: every topic outside sv/kit-a/{telemetry,status,ack} is refused on publish,
  // everything but sv/kit-a/cmd on subscribe (MQTT 3.1.1: the connection is closed).
  const connectA = () => as({ clientId: 'kit-a', username: 'kit-a', password: secretA });
  for (const topic of ['sv/kit-b/telemetry', 'sv/kit-b/status', 'sv/kit-b/ack', 'sv/kit-honest/telemetry', 'sv/kit-a/cmd', 'sv/kit-a']) {
    await expectMoves(
      `publish to ${topic}`,
      async () => {
        const c = await connectA();
        const gone = closed(c);
        c.publish(topic, telemetry({ seq: 999 }), { qos: 1 });
        await gone;
      },
      { acl_denied: 1, 'acl_denied{publish}': 1 },
    );
  }
  for (const filter of ['#', '+/kit-b/cmd', '+/+/cmd', 'sv/+/cmd', 'sv/kit-b/cmd', 'sv/kit-honest/cmd', 'sv/#', 'sv/kit-a/#', '$SYS/#']) {
    await expectMoves(
      `subscribe to ${filter}`,
      async () => {
        const c = await connectA();
        const gone = closed(c);
        c.subscribe(filter, { qos: 1 });
        await gone;
      },
      { acl_denied: 1, 'acl_denied{subscribe}': 1 },
    );
  }
  const own = await connectA();
  t.same(
    (await own.subscribeAsync('sv/kit-a/cmd', { qos: 1 })).map((g) => g.qos),
    [1],
    'its own cmd topic is granted (the ACL is not deny-everything)',
  );
  own.end(true);

  await expectMoves(
    'a packet above mqtt.maxPacketBytes',
    async () => {
      const c = await connectA();
      const gone = closed(c);
      c.publish('sv/kit-a/telemetry', 'x'.repeat(10_000), { qos: 1 });
      await gone;
    },
    { packet_too_large: 1 },
  );

  const foreign = gw.db().prepare("SELECT count(*) AS n FROM telemetry WHERE device_id IN ('kit-a', 'kit-b') OR seq = 999").get() as {
    n: number;
  };
  t.equal(foreign.n, 0, 'no refused publish reached the store');
  const events = gw.db().prepare('SELECT kind, device_id AS deviceId, remote, detail FROM security_events ORDER BY id').all() as {
    kind: string;
    deviceId: string | null;
    remote: string;
    detail: string;
  }[];
  t.equal(events.filter((e) => e.kind === 'auth_failed').length, 9, 'every refused connection is recorded');
  t.equal(events.filter((e) => e.kind === 'acl_denied').length, 15, 'every ACL refusal is recorded');
  t.ok(
    events.every((e) => e.remote.endsWith(ATTACKER)),
    'with the address it came from',
  );
  t.match(
    events.find((e) => e.detail === 'subscribe #'),
    { kind: 'acl_denied', deviceId: 'kit-a' },
    'and what was attempted by whom',
  );
  t.notOk(
    events.some((e) => e.detail.includes(secretA) || e.detail.includes(secretB)),
    'never with a secret',
  );

  const result = await kit.stop();
  t.same(result.errors, [], 'the honest kit had no publish error');
  t.equal(result.closes, 0, 'and kept its connection throughout (a failed login with its id did not replace it)');
  t.same(kit.rows(gw), { n: result.acked, uniq: result.acked, maxSeq: result.acked - 1 }, 'its telemetry is stored once per PUBACK');
  kit.client.end(true);
});

t.test('auth brute force: slowed, then the address is banned; other addresses and the honest kit are not', async (t) => {
  const gw = await startGateway(t, {
    'auth.maxFailures': 5,
    'auth.failureDelayMs': 10,
    'auth.maxFailureDelayMs': 100,
    'auth.banMs': 60_000,
  });
  const kit = await honestKit(gw, 'kit-honest');
  t.teardown(() => kit.stop());
  const secret = await gw.addKit('kit-target');
  const before = readCounters(await gw.metrics());
  const attempts = 25;
  const outcomes: string[] = [];
  for (let i = 0; i < attempts; i++) {
    // Guessing the honest kit's secret and the target's, from one address.
    const id = i % 2 === 0 ? 'kit-target' : 'kit-honest';
    const err = await gw.connect({ clientId: id, username: id, password: `svk_guess-${i}`, localAddress: ATTACKER } as IClientOptions).then(
      (c) => {
        c.end(true);
        return 'connected';
      },
      (e: Error) => e.message,
    );
    outcomes.push(err);
  }
  t.notOk(outcomes.includes('connected'), 'no guess got in');
  const right = await gw
    .connect({ clientId: 'kit-target', username: 'kit-target', password: secret, localAddress: ATTACKER } as IClientOptions)
    .then(
      (c) => {
        c.end(true);
        return 'connected';
      },
      () => 'refused',
    );
  t.equal(right, 'refused', 'once banned, even the right secret is refused from that address');
  const moved = delta(before, readCounters(await gw.metrics()));
  t.equal(moved['auth_failed{bad_secret}'], 5, 'the first auth.maxFailures guesses were checked and refused');
  t.equal(moved['conn_refused{banned}'], attempts - 5 + 1, 'every later attempt was refused before TLS, as banned');
  t.equal(moved.auth_ok ?? 0, 0);
  const other = await gw.connect({
    clientId: 'kit-target',
    username: 'kit-target',
    password: secret,
    localAddress: '127.0.0.3',
  } as IClientOptions);
  t.ok(other.connected, 'the ban is per address: the kit connects from another one');
  other.end(true);
  const rows = gw.db().prepare("SELECT count(*) AS n FROM security_events WHERE kind = 'auth_failed'").get() as { n: number };
  t.equal(rows.n, 5, 'the refused guesses are recorded');
  const result = await kit.stop();
  t.equal(result.closes, 0, 'the honest kit, whose id was guessed at, kept its connection');
  t.same(result.errors, []);
  t.ok(result.acked > 0, `and its PUBACKs (${result.acked})`);
  t.same(kit.rows(gw), { n: result.acked, uniq: result.acked, maxSeq: result.acked - 1 }, 'its telemetry is stored once per PUBACK');
  kit.client.end(true);
});
