import t from 'tap';
import { topics } from '../../shared/topics.js';
import type { NodeMessage } from './messages.js';
import { RemoteIngest } from './remote-ingest.js';
import { unpackUplinks } from './uplink-columns.js';

const reading = (seq: number) => Buffer.from(`{"v":1,"boot":2,"seq":${seq},"ts":null,"tempC":57.5,"sensor":"ok","heater":false}`);

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The (device, seq) of every reading of every batch sent, batch by batch. */
function sentSeqs(sent: NodeMessage[]): number[][] {
  return sent.map((m) => {
    if (m.t !== 'up') throw new Error(`unexpected ${m.t}`);
    return [...unpackUplinks(m.batch)].map((u) => {
      const p = u[6];
      if (!p.ok || u[2] !== 'telemetry') throw new Error('not a valid reading');
      return (p.value as { seq: number }).seq;
    });
  });
}

t.test('with no interval, each event-loop turn sends its own batch', async (t) => {
  const sent: NodeMessage[] = [];
  const ingest = new RemoteIngest((m) => sent.push(m), 0);
  for (let seq = 0; seq < 3; seq++) {
    ingest.handle('kit-a', 'telemetry', topics.telemetry('kit-a'), reading(seq), 1, () => {});
    await turn();
  }
  t.strictSame(sentSeqs(sent), [[0], [1], [2]]);
});

t.test('under load, uplinks of several turns share one message; idle, one leaves at once', async (t) => {
  const sent: NodeMessage[] = [];
  const ingest = new RemoteIngest((m) => sent.push(m), 300);
  ingest.handle('kit-a', 'telemetry', topics.telemetry('kit-a'), reading(0), 1, () => {});
  await turn();
  t.strictSame(sentSeqs(sent), [[0]], 'the first uplink after a quiet spell is not held back');
  for (let seq = 1; seq < 4; seq++) {
    ingest.handle('kit-a', 'telemetry', topics.telemetry('kit-a'), reading(seq), 1, () => {});
    await turn();
  }
  t.equal(sent.length, 1, 'the next turns wait for the interval');
  const deadline = Date.now() + 5000;
  while (sent.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.strictSame(sentSeqs(sent), [[0], [1, 2, 3]], 'then they leave together, in order');
});

t.test('a burst of 2,000 uplinks leaves without waiting for the interval', async (t) => {
  const sent: NodeMessage[] = [];
  const ingest = new RemoteIngest((m) => sent.push(m), 10_000);
  ingest.handle('kit-a', 'telemetry', topics.telemetry('kit-a'), reading(0), 1, () => {});
  await turn();
  for (let seq = 1; seq <= 1999; seq++) ingest.handle('kit-a', 'telemetry', topics.telemetry('kit-a'), reading(seq), 1, () => {});
  await turn();
  t.equal(sent.length, 1, '1,999 wait');
  ingest.handle('kit-a', 'telemetry', topics.telemetry('kit-a'), reading(2000), 1, () => {});
  await turn();
  t.equal(sent.length, 2, 'the 2,000th sends them');
  t.equal(sentSeqs(sent)[1]?.length, 2000);
  ingest.drain();
});

t.test('drain sends what waits at once (a node stopping)', async (t) => {
  const sent: NodeMessage[] = [];
  const ingest = new RemoteIngest((m) => sent.push(m), 10_000);
  ingest.handle('kit-a', 'telemetry', topics.telemetry('kit-a'), reading(0), 1, () => {});
  await turn();
  ingest.handle('kit-b', 'telemetry', topics.telemetry('kit-b'), reading(5), 1, () => {});
  await turn();
  t.equal(sent.length, 1);
  ingest.drain();
  t.strictSame(sentSeqs(sent), [[0], [5]]);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(sent.length, 2, 'nothing is sent twice');
});

t.test('a PUBACK is released only by its commit result, an error by a failure', async (t) => {
  const sent: NodeMessage[] = [];
  const ingest = new RemoteIngest((m) => sent.push(m), 4);
  const released: [number, string | null][] = [];
  for (let seq = 0; seq < 3; seq++) {
    ingest.handle('kit-a', 'telemetry', topics.telemetry('kit-a'), reading(seq), 1, (err) => released.push([seq, err?.message ?? null]));
  }
  ingest.handle('kit-a', 'telemetry', topics.telemetry('kit-a'), reading(9), 0, (err) => released.push([9, err?.message ?? null]));
  await turn();
  t.strictSame(released, [[9, null]], 'QoS 0 is released at once; QoS 1 waits for the commit');
  const refs = sent.flatMap((m) => (m.t === 'up' ? [...unpackUplinks(m.batch)].map((u) => u[0]) : []));
  t.strictSame(refs, [1, 2, 3, 0]);
  ingest.settle([2, 1], [[3, 'store is closed']]);
  t.strictSame(released, [
    [9, null],
    [1, null],
    [0, null],
    [2, 'store is closed'],
  ]);
  t.equal(ingest.pending, 0);
});
