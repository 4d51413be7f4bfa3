import t from 'tap';
import { StreamHub, type StreamSink } from './hub.js';
import { SseParser } from './sse-parse.js';

const OPTS = { ringSize: 5, readingIntervalMs: 1000, flushMs: 0, maxBufferBytes: 10_000, maxClients: 10 };
const turn = () => new Promise((r) => setImmediate(r));

function sink(gatewayId: string | null = null) {
  const parser = new SseParser();
  const got: { id: string; event: string; data: Record<string, unknown> }[] = [];
  let buffered = 0;
  const s: StreamSink & { got: typeof got; closed: boolean; setBuffered(n: number): void } = {
    got,
    closed: false,
    gatewayId,
    write(chunk) {
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
