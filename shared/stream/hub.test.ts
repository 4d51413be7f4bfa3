import t from 'tap';
import { StreamHub, type StreamSink } from './hub.js';
import { SseParser } from './sse-parse.js';

const OPTS = {
  ringSize: 5,
  readingIntervalMs: 1000,
  flushMs: 0,
  maxBufferBytes: 10_000,
  maxClients: 10,
  maxClientsPerOrg: 10,
  fleetReadingBytesPerSec: 0,
};
const turn = () => new Promise((r) => setImmediate(r));

function sink(gatewayId: string | null = null, devices: string[] | null = null) {
  const parser = new SseParser();
  const got: { id: string; event: string; data: Record<string, unknown> }[] = [];
  const chunks: (string | Uint8Array)[] = [];
  let buffered = 0;
  const s: StreamSink & {
    got: typeof got;
    chunks: typeof chunks;
    parser: SseParser;
    closed: boolean;
    bytes: number;
    setBuffered(n: number): void;
  } = {
    got,
    chunks,
    parser,
    closed: false,
    bytes: 0,
    gatewayId,
    devices,
    write(chunk) {
      chunks.push(chunk);
      s.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      for (const m of parser.feed(String(chunk))) got.push({ id: m.hasId ? m.lastEventId : '', event: m.event, data: JSON.parse(m.data) });
    },
    buffered: () => buffered,
    close() {
      s.closed = true;
    },
    setBuffered(n) {
      buffered = n;
    },
  };
  return s;
}

const reading = (deviceId: string, seq: number, gatewayId = 'gw1') => ({ deviceId, gatewayId, seq });

t.test('resume after Last-Event-ID: exactly the missed messages; an evicted id gets reset', async (t) => {
  let now = 0;
  const hub = new StreamHub(OPTS, () => now);
  const a = sink();
  hub.attach('org', a);
  for (let i = 1; i <= 3; i++) {
    now += 1000;
    hub.publish('org', 'reading', reading('k1', i));
  }
  await turn();
  t.same(
    a.got.map((m) => [m.event, m.data.seq]),
    [
      ['ready', undefined],
      ['reading', 1],
      ['reading', 2],
      ['reading', 3],
    ],
  );
  const after1 = a.got[1]?.id as string;
  now += 1000;
  const offline = { deviceId: 'k1', gatewayId: 'gw1', online: false };
  hub.publish('org', 'state', offline);
  await turn();
  const b = sink();
  hub.attach('org', b, after1);
  t.same(
    b.got.map((m) => m.event),
    ['reading', 'reading', 'state', 'ready'],
    'replays the three it missed, then ready',
  );
  t.equal(b.got[3]?.id, a.got[a.got.length - 1]?.id, 'ready carries the newest id');
  for (let i = 4; i <= 9; i++) {
    now += 1000;
    hub.publish('org', 'reading', reading('k1', i));
  }
  await turn();
  const c = sink();
  hub.attach('org', c, after1);
  t.same(
    c.got.map((m) => m.event),
    ['reset', 'ready'],
    'an id the ring no longer holds: reset',
  );
  const d = sink();
  hub.attach('other-org', d, a.got[2]?.id);
  t.same(
    d.got.map((m) => m.event),
    ['reset', 'ready'],
    "another org's id is unknown there",
  );
});

t.test('readings are rate-limited per kit; a gateway-limited sink sees its gateway only; a slow sink is dropped', async (t) => {
  let now = 0;
  const hub = new StreamHub(OPTS, () => now);
  const all = sink();
  const gw2 = sink('gw2');
  const slow = sink();
  hub.attach('org', all);
  hub.attach('org', gw2);
  hub.attach('org', slow);
  hub.publish('org', 'reading', reading('k1', 1));
  hub.publish('org', 'reading', reading('k1', 2)); // same second: skipped
  hub.publish('org', 'reading', reading('k2', 1, 'gw2'));
  now += 1000;
  hub.publish('org', 'reading', reading('k1', 3));
  slow.setBuffered(20_000);
  await turn();
  t.same(
    all.got.filter((m) => m.event === 'reading').map((m) => [m.data.deviceId, m.data.seq]),
    [
      ['k1', 1],
      ['k2', 1],
      ['k1', 3],
    ],
  );
  t.same(
    gw2.got.filter((m) => m.event === 'reading').map((m) => m.data.deviceId),
    ['k2'],
  );
  t.ok(slow.closed, 'the sink over maxBufferBytes was closed');
  t.equal(slow.got.filter((m) => m.event === 'reading').length, 0, 'and got nothing more');
  t.equal(hub.counters.readingsSkipped, 1);
  t.equal(hub.counters.slowDropped, 1);
});

t.test("a wall clock stepped back an hour holds back neither a kit's readings nor the fleet budget", async (t) => {
  let now = 10 * 3_600_000;
  const hub = new StreamHub({ ...OPTS, ringSize: 100, fleetReadingBytesPerSec: 300 }, () => now);
  const fleet = sink();
  hub.attach('org', fleet);
  hub.publish('org', 'reading', reading('k1', 1));
  hub.flush();
  now -= 3_600_000;
  for (let seq = 2; seq <= 4; seq++) {
    now += 1000;
    hub.publish('org', 'reading', reading('k1', seq));
    hub.flush();
  }
  await turn();
  t.same(
    fleet.got.filter((m) => m.event === 'reading').map((m) => m.data.seq),
    [1, 2, 3, 4],
    'one reading a second after the step, as before it',
  );
  t.equal(hub.counters.readingsSkipped, 0);
});

t.test('the per-kit reading clocks forget kits gone quiet, and never a clock still needed', async (t) => {
  let now = 0;
  const hub = new StreamHub(OPTS, () => now);
  const all = sink();
  hub.attach('org', all);
  for (let i = 0; i < 1000; i++) hub.publish('org', 'reading', reading(`old-${i}`, 1));
  t.equal(hub.readingClocks, 1000);
  // k1's clock, set at 900, lives across the swap at 1000: its reading at 1500 is still within the interval.
  now = 900;
  hub.publish('org', 'reading', reading('k1', 1));
  now = 1000;
  hub.publish('org', 'reading', reading('k2', 1));
  now = 1500;
  hub.publish('org', 'reading', reading('k1', 2));
  t.equal(hub.counters.readingsSkipped, 1, "k1's second reading within the interval is skipped across a swap");
  now = 2000;
  hub.publish('org', 'reading', reading('k1', 3));
  now = 3100;
  hub.publish('org', 'reading', reading('k2', 2));
  await turn();
  t.same(
    all.got.filter((m) => m.event === 'reading' && !String(m.data.deviceId).startsWith('old-')).map((m) => [m.data.deviceId, m.data.seq]),
    [
      ['k1', 1],
      ['k2', 1],
      ['k1', 3],
      ['k2', 2],
    ],
  );
  t.equal(hub.readingClocks, 2, 'the thousand kits heard from only at the start are forgotten');
});

t.test('a clock stepped back a moment keeps the reading clocks still within their interval', async (t) => {
  let now = 0;
  const hub = new StreamHub(OPTS, () => now);
  hub.attach('org', sink());
  hub.publish('org', 'reading', reading('k', 1));
  now = 1000;
  hub.publish('org', 'reading', reading('other', 1)); // a swap: k's clock is in the older generation
  now = 999;
  hub.publish('org', 'reading', reading('k', 2));
  t.equal(hub.counters.readingsSkipped, 1, "k's reading 999 ms after its last is skipped, step or not");
});

const kits = (x: ReturnType<typeof sink>, event = 'reading') => x.got.filter((m) => m.event === event).map((m) => m.data.deviceId);

t.test('?devices= streams carry their kits only (and messages about no kit); replay goes through the same filter', async (t) => {
  let now = 0;
  const hub = new StreamHub({ ...OPTS, ringSize: 100 }, () => now);
  const fleet = sink();
  const k1 = sink(null, ['k1']);
  const k2k3 = sink(null, ['k3', 'k2', 'k3']);
  const gw2k1 = sink('gw2', ['k1', 'k2']);
  for (const x of [fleet, k1, k2k3, gw2k1]) hub.attach('org', x);
  hub.publish('org', 'reading', reading('k1', 1));
  hub.publish('org', 'reading', reading('k2', 1, 'gw2'));
  hub.publish('org', 'reading', reading('k3', 1));
  hub.publish('org', 'state', { deviceId: 'k1', gatewayId: 'gw1', online: false } as never);
  hub.publish('org', 'event', { deviceId: null, gatewayId: 'gw1', type: 'gateway_started' } as never);
  await turn();
  t.same(kits(fleet), ['k1', 'k2', 'k3'], 'the fleet stream: every kit');
  t.same(kits(k1), ['k1'], 'devices=k1: k1 only');
  t.same(kits(k1, 'state'), ['k1'], 'its state changes too');
  t.same(kits(k2k3), ['k2', 'k3'], 'devices=k3,k2,k3: both, duplicates collapsed');
  t.same(kits(k2k3, 'state'), [], "not another kit's state");
  t.same(kits(gw2k1), ['k2'], "a gateway-limited key with devices: both filters (k1 is gw1's)");
  t.same(
    [fleet, k1, k2k3].map((x) => kits(x, 'event')),
    [[null], [null], [null]],
    'a message about no kit reaches every stream of its gateway',
  );
  t.same(kits(gw2k1, 'event'), [], "but not another gateway's limited key");

  const since = k1.got.find((m) => m.event === 'reading')?.id as string;
  now += 1000;
  hub.publish('org', 'reading', reading('k2', 2, 'gw2'));
  hub.publish('org', 'reading', reading('k1', 2));
  await turn();
  const resumed = sink(null, ['k1']);
  hub.attach('org', resumed, since);
  t.same(
    resumed.got.map((m) => [m.event, m.data.deviceId]),
    [
      ['state', 'k1'],
      ['event', null],
      ['reading', 'k1'],
      ['ready', undefined],
    ],
    'replay after Last-Event-ID: only what the filter selects',
  );
  t.equal(hub.counters.replayed, 3);
});

t.test('one encoded chunk per selection and flush, shared by every stream of that selection', async (t) => {
  const hub = new StreamHub(OPTS, () => 0);
  const fleet = [sink(), sink(), sink()];
  const a = [sink(null, ['k1', 'k2']), sink(null, ['k2', 'k1'])];
  const gw = [sink('gw1'), sink('gw1')];
  for (const x of [...fleet, ...a, ...gw]) hub.attach('org', x);
  for (const x of [...fleet, ...a, ...gw]) x.chunks.length = 0; // the per-stream head (ready)
  for (let i = 1; i <= 5; i++) hub.publish('org', 'reading', reading(`k${i}`, 1, i % 2 ? 'gw1' : 'gw2'));
  await turn();
  const chunkOf = (x: ReturnType<typeof sink>) => {
    t.equal(x.chunks.length, 1, 'one write per stream per flush');
    return x.chunks[0];
  };
  const [f0, ...fRest] = fleet.map(chunkOf);
  const [a0, ...aRest] = a.map(chunkOf);
  const [g0, ...gRest] = gw.map(chunkOf);
  for (const c of fRest) t.equal(c, f0, 'fleet streams: the very same buffer');
  for (const c of aRest) t.equal(c, a0, 'devices=k1,k2 in any order: the very same buffer');
  for (const c of gRest) t.equal(c, g0, 'one gateway: the very same buffer');
  t.not(f0, a0);
  t.same(kits(a[0] as ReturnType<typeof sink>), ['k1', 'k2']);
  t.same(kits(gw[0] as ReturnType<typeof sink>), ['k1', 'k3', 'k5']);
  t.same(kits(fleet[0] as ReturnType<typeof sink>), ['k1', 'k2', 'k3', 'k4', 'k5']);
});

t.test('fleet reading budget: conflated to the latest per kit, kits in turn, nothing else held back', async (t) => {
  let now = 0;
  // A reading frame here is about 100 bytes: a budget of 300 B/s lets about 3 of the 10 kits out a second.
  const hub = new StreamHub({ ...OPTS, ringSize: 1000, flushMs: 1000, fleetReadingBytesPerSec: 300 }, () => now);
  const fleetA = sink();
  const fleetB = sink();
  const one = sink(null, ['k7']);
  for (const x of [fleetA, fleetB, one]) hub.attach('org', x);
  const startBytes = fleetA.bytes;
  const seen = new Map<string, number[]>();
  const SECONDS = 20;
  let firstSecond: unknown[] = [];
  for (let sec = 1; sec <= SECONDS; sec++) {
    now += 1000;
    for (let k = 0; k < 10; k++) hub.publish('org', 'reading', reading(`k${k}`, sec));
    if (sec === 5) hub.publish('org', 'alarm', { deviceId: 'k3', gatewayId: 'gw1', type: 'over_temp' } as never);
    const before = fleetA.got.length;
    hub.flush(); // the hub's timer, driven by the fake clock
    const got = fleetA.got.slice(before);
    if (sec === 1) firstSecond = got.map((m) => m.data.deviceId);
    if (sec === 5) t.same(got[0]?.event, 'alarm', 'an alarm is never held back: it leads the flush');
    for (const m of got.filter((m) => m.event === 'reading')) {
      const k = m.data.deviceId as string;
      seen.set(k, [...(seen.get(k) ?? []), m.data.seq as number]);
    }
  }
  t.same(firstSecond, ['k0', 'k1', 'k2', 'k3'], 'one second of burst, then the budget (the last reading may overdraw it)');
  const readingBytes = fleetA.bytes - startBytes;
  t.ok(readingBytes <= 300 * (SECONDS + 1) + 200, `a fleet stream got ${readingBytes} B in ${SECONDS} s at 300 B/s`);
  t.ok(readingBytes >= 300 * SECONDS - 200, 'and used its budget');
  t.same([...seen.keys()].sort(), ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9'], 'every kit was refreshed');
  for (const [k, seqs] of seen) {
    t.ok(seqs.length >= 4, `${k}: sent ${seqs.length} times in ${SECONDS} s (round-robin, none starves)`);
    t.same(
      seqs,
      [...seqs].sort((a, b) => a - b),
      `${k}: never an older reading after a newer one`,
    );
  }
  const last = seen.get('k0') as number[];
  t.ok((last[last.length - 1] as number) >= SECONDS - 4, 'what is sent is a recent reading (the latest held), not a stale one');
  t.ok(hub.counters.readingsConflated > 100, `readings conflated: ${hub.counters.readingsConflated}`);
  t.same(fleetB.chunks, fleetA.chunks, 'both fleet streams got the same bytes');
  t.equal(kits(one).length, SECONDS, 'a ?devices= stream is not budgeted: every reading of its kit');
  const probe = sink();
  hub.attach('org', probe);
  t.equal(
    fleetA.parser.lastEventId,
    probe.got[0]?.id,
    'a fleet stream is told the newest id it covered (the newest held), so it resumes after what it skipped',
  );
  t.ok(hub.readingBacklog > 0 && hub.readingBacklog <= 10, 'at most one reading per kit waits');

  for (let i = 0; i < 5; i++) {
    now += 1000; // no more readings: the backlog drains on its own flushes
    hub.flush();
  }
  t.equal(hub.readingBacklog, 0, 'drained');
});

t.test("one scope's streams stop at its own limit, below the server's; a detach gives the place back", async (t) => {
  const hub = new StreamHub({ ...OPTS, maxClients: 5, maxClientsPerOrg: 2 }, () => 0);
  t.teardown(() => hub.close());
  const a1 = hub.attach('org-a', sink());
  hub.attach('org-a', sink());
  t.equal(hub.refusal('org-a'), "streams: at the org's limit (stream.maxClientsPerOrg)");
  t.equal(hub.refusal('org-b'), null, 'another scope may still open');
  hub.attach('org-b', sink());
  hub.attach('org-b', sink());
  hub.attach('org-c', sink());
  t.equal(hub.refusal('org-d'), 'streams: at the server limit (stream.maxClients)', 'five open: the server is full for everyone');
  a1();
  a1();
  t.equal(hub.refusal('org-a'), null, 'a detach (once, however often called) frees one place of its scope');
  t.equal(hub.clients, 4);
});
