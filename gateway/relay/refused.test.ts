import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import { SvError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { waitFor } from '../../test/harness/index.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { PRIORITY, type StoreItem } from '../store/items.js';
import { STORE_FILE } from '../store/open.js';
import { StoreWriter } from '../store/writer.js';
import { startGateway } from '../testing/fixture.js';
import { type Answer, type ReceivedBatch, relayReceiver } from '../testing/relay-receiver.js';
import type { RelayOptions } from './options.js';
import { Relay } from './relay.js';

/**
 * What a 400/413/422 does, on a real store and a real HTTP receiver in the cloud's place
 * (ADR 083): a refusal of the batch as a whole (the envelope: a relay version the cloud does not
 * take, a proxy's own 400) keeps every row, dead-letters nothing and shows as link state
 * `refused`; only "too large" (413, SV_ERR_BODY_TOO_LARGE) or a record named isolates a record
 * and dead-letters it. An empty heartbeat refused is never a dead letter. Such a dead letter is
 * replayed into the outbox through the local API once the cloud takes it.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(t: { teardown(fn: () => unknown): void }, answer: (b: ReceivedBatch) => Answer, over: Partial<RelayOptions> = {}) {
  const rx = await relayReceiver(answer);
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-relay-refused-'));
  const store = new StoreWriter(dataDir);
  await store.open();
  const logs: { level: number; msg: string; [k: string]: unknown }[] = [];
  const log = createLogger({
    name: 'relay-test',
    level: 'info',
    pretty: false,
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  });
  const opts: RelayOptions = {
    url: rx.url,
    token: 'svg_test',
    batchMaxRecords: 1000,
    batchMinRecords: 1,
    batchMaxBytes: 1 << 20,
    lingerMs: 20,
    idleSyncMs: 200,
    requestTimeoutMs: 5000,
    targetLatencyMs: 2000,
    backoffBaseMs: 50,
    backoffMaxMs: 300,
    quotaBytes: 1 << 30,
    statsIntervalMs: 100,
    dropReportMs: 60_000,
    ...over,
  };
  const relay = new Relay(opts, store, dataDir, log);
  t.teardown(async () => {
    await relay.stop();
    await store.close();
    await rx.close();
  });
  const write = (items: StoreItem[]) =>
    Promise.all(items.map((it) => new Promise<void>((res, rej) => store.write(it, (err) => (err ? rej(err) : res())))));
  const q = <T>(sql: string): T[] => {
    const db = new Sqlite(join(dataDir, STORE_FILE), { readonly: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  };
  return { rx, relay, write, q, logs };
}

const now = Date.now();
const telemetry = (seq: number, pad = 0): StoreItem => {
  const rec = { kind: 'telemetry', deviceId: 'kit-1', boot: 1, seq, ts: now + seq, rxTs: now + seq, tempC: 60, sensor: 'ok', heater: true };
  return {
    t: 'out',
    priority: PRIORITY.bulk,
    kind: 'telemetry',
    record: JSON.stringify(pad ? { ...rec, pad: 'x'.repeat(pad) } : rec),
    ts: now,
  };
};
const cook: StoreItem = {
  t: 'cook',
  deviceId: 'kit-1',
  id: 'cook-r1',
  version: 1,
  state: 'heating',
  spec: JSON.stringify({ targetC: 57, holdMin: 60 }),
  startedTs: now,
  updatedTs: now,
  reachedTs: null,
  doneTs: null,
  outbox: JSON.stringify({
    kind: 'cook',
    id: 'cook-r1-v1-heating',
    deviceId: 'kit-1',
    version: 1,
    state: 'heating',
    spec: { targetC: 57, holdMin: 60 },
    startedTs: now,
    updatedTs: now,
  }),
};
const N = 40;
const keyOf = (r: ReceivedBatch['records'][number]) => (r.kind === 'telemetry' ? `tel:${r.seq}` : `${r.kind}:${r.id}`);
const expected = [...Array.from({ length: N }, (_, i) => `tel:${i + 1}`), 'cook:cook-r1-v1-heating'].sort();

/** The cloud's answer to a batch in a relay version it does not take (cloud/ingest/parse.ts: the envelope's fields named). */
const envelope400 = () =>
  new SvError('SV_ERR_PAYLOAD_INVALID', 'batch does not match the relay contract', ['body.v: Invalid literal value, expected 2']);
const refusals: [string, () => Answer, RegExp][] = [
  ["the cloud's 400 for the envelope (a relay version it does not take)", envelope400, /SV_ERR_PAYLOAD_INVALID: body\.v/],
  ["a proxy's own 400 page", () => ({ status: 400, body: '<html><body>400 Bad Request</body></html>' }), /400 Bad Request/],
  ['a 422 naming no record', () => new SvError('SV_ERR_VALIDATION', undefined, ['body: not accepted']), /SV_ERR_VALIDATION/],
];

for (const [name, refuse, detail] of refusals) {
  t.test(`${name}: every row kept, nothing dead-lettered, link refused; then delivered once`, async (t) => {
    let refusing = true;
    const { rx, relay, write, q } = await setup(t, () => (refusing ? refuse() : 'ok'));
    await write([cook, ...Array.from({ length: N }, (_, i) => telemetry(i + 1))]);
    relay.start();
    await waitFor('refused', async () => (rx.requests >= 2 ? true : undefined), 10_000);
    await sleep(1500); // the audit's repro lost all 40 rows to dead letters in 1.5 s
    t.same(
      q('SELECT kind, count(*) AS n FROM outbox GROUP BY kind ORDER BY kind'),
      [
        { kind: 'cook', n: 1 },
        { kind: 'telemetry', n: N },
      ],
      'every row is still in the outbox',
    );
    t.same(q('SELECT id FROM dead_letters'), [], 'no dead letter');
    t.same(q('SELECT reason FROM relay_drops'), [], 'no drop counted in the store');
    t.same(relay.drops.totals, {}, 'no drop counted');
    t.ok(rx.requests < 40, `backed off: ${rx.requests} requests in ~1.5 s`);
    t.equal(relay.state, 'refused', 'the link state says refused');
    t.match(relay.lastError, detail, "the last error carries the cloud's (or the proxy's) words");

    refusing = false; // the cloud is upgraded (or the proxy fixed)
    await waitFor('drained', async () => (q<{ n: number }>('SELECT count(*) AS n FROM outbox')[0]?.n === 0 ? true : undefined), 10_000);
    t.equal(relay.state, 'up');
    t.same(rx.records().map(keyOf).sort(), expected, 'the receiver got every record exactly once');
    t.same(q('SELECT id FROM dead_letters'), [], 'still no dead letter');
  });
}

t.test('too large (413 SV_ERR_BODY_TOO_LARGE): bisected down to the one record, only it dead-lettered', async (t) => {
  const LIMIT = 16 * 1024;
  const { rx, relay, write, q } = await setup(t, (b) =>
    b.bytes > LIMIT ? new SvError('SV_ERR_BODY_TOO_LARGE', undefined, ['body: larger than the body limit']) : 'ok',
  );
  await write([cook, ...Array.from({ length: N }, (_, i) => telemetry(i + 1, i + 1 === 17 ? 40_000 : 0))]);
  relay.start();
  await waitFor('drained', async () => (q<{ n: number }>('SELECT count(*) AS n FROM outbox')[0]?.n === 0 ? true : undefined), 10_000);
  const got = rx.records();
  t.same(
    got
      .filter((r) => r.type !== 'relay_drop')
      .map(keyOf)
      .sort(),
    expected.filter((k) => k !== 'tel:17'),
    'every other record delivered exactly once',
  );
  t.match(
    got.filter((r) => r.type === 'relay_drop'),
    [{ data: { dropped: { 'rejected:telemetry': 1 } } }],
    'and the drop reported',
  );
  const dead = q<{ topic: string; code: string; payload: Buffer }>('SELECT topic, code, payload FROM dead_letters');
  t.equal(dead.length, 1, 'one dead letter');
  t.match(dead[0], { topic: 'relay/outbox', code: 'SV_ERR_BODY_TOO_LARGE' }, "with the cloud's code");
  t.match(JSON.parse(String(dead[0]?.payload)), { kind: 'telemetry', seq: 17 }, 'it is the oversized record');
  t.same(relay.drops.totals, { 'rejected:telemetry': 1 }, 'counted as a drop');
});

t.test('an empty heartbeat answered 400: no crash, no dead letter, no drop; link refused', async (t) => {
  const { rx, relay, q, logs } = await setup(t, envelope400);
  relay.start();
  await waitFor('heartbeats refused', async () => (rx.requests >= 3 ? true : undefined), 10_000);
  t.equal(relay.state, 'refused');
  t.same(q('SELECT id FROM dead_letters'), [], 'no dead letter');
  t.same(q('SELECT reason FROM relay_drops'), [], 'no drop');
  t.same(relay.drops.totals, {});
  t.same(
    logs.filter((l) => /local error/.test(l.msg)).map((l) => l.msg),
    [],
    'the relay loop never failed',
  );
});

t.test('a relay record dead-lettered for its size is replayed into the outbox once the cloud takes it', async (t) => {
  let limit = 16 * 1024;
  const rx = await relayReceiver((b) =>
    b.bytes > limit ? new SvError('SV_ERR_BODY_TOO_LARGE', undefined, ['body: larger than the body limit']) : 'ok',
  );
  t.teardown(() => rx.close());
  // Queued before the gateway starts, in its own data dir: three events, one over the cloud's body limit.
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-relay-replay-'));
  const pre = new StoreWriter(dataDir);
  await pre.open();
  const ev = (id: string, data: Record<string, unknown>): StoreItem => ({
    t: 'out',
    priority: PRIORITY.state,
    kind: 'event',
    record: JSON.stringify({ kind: 'event', id, deviceId: 'kit-1', type: 'reached', severity: 'info', ts: now, safety: false, data }),
    ts: now,
  });
  // And a kit's registry entry an older gateway dead-lettered: a state later records replace.
  const registry: StoreItem = {
    t: 'dlq',
    deviceId: null,
    topic: 'relay/outbox',
    code: 'SV_ERR_PAYLOAD_INVALID',
    reason: 'HTTP 400',
    payload: Buffer.from(JSON.stringify({ kind: 'registry', id: 'reg-old', ts: now - 60_000, added: [], revoked: ['kit-1'] })),
    rxTs: now - 60_000,
  };
  await Promise.all(
    [ev('ev-a', {}), ev('ev-big', { blob: 'x'.repeat(40_000) }), ev('ev-b', {}), registry].map(
      (it) => new Promise<void>((res, rej) => pre.write(it, (err) => (err ? rej(err) : res()))),
    ),
  );
  await pre.close();
  const gw = await startGateway(t, {
    dataDir,
    'cloud.url': rx.url,
    'cloud.token': 'svg_test-token-0000000',
    'relay.lingerMs': 20,
    'relay.backoffBaseMs': 50,
    'relay.backoffMaxMs': 300,
    'relay.idleSyncMs': 300,
    'relay.statsIntervalMs': 100,
  });
  // The fixture's own db() reads its default data dir: read this one.
  const reader = new Sqlite(join(dataDir, STORE_FILE), { readonly: true });
  t.teardown(() => reader.close());
  const db = () => reader;
  const token = issueOperatorToken(tokenFilePath(dataDir));
  const api = async (method: string, path: string) => {
    const r = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const events = () => rx.records().filter((r) => r.kind === 'event' && r.type !== 'relay_drop');
  const deadAll = () =>
    db().prepare("SELECT id, code, payload FROM dead_letters WHERE topic = 'relay/outbox'").all() as {
      id: number;
      code: string;
      payload: Buffer;
    }[];
  const isRegistry = (r: { payload: Buffer }) => r.payload.toString().includes('"registry"');
  const dead = () =>
    deadAll()
      .filter((r) => !isRegistry(r))
      .map(({ id, code }) => ({ id, code }));
  const regId = deadAll().find(isRegistry)?.id as number;
  const refusedReplay = await api('POST', `/v1/dead-letters/${regId}/replay`);
  t.equal(refusedReplay.status, 409, "a registry record is not replayed: it would undo the kit's later changes");
  t.match(refusedReplay.body, { error: { code: 'SV_ERR_CONFLICT', details: [/payload\.kind: registry/] } });
  t.ok(deadAll().some(isRegistry), 'and its dead letter stays');
  t.equal(
    (db().prepare("SELECT count(*) AS n FROM outbox WHERE kind = 'registry' AND record LIKE '%reg-old%'").get() as { n: number }).n,
    0,
    'nothing queued',
  );
  await waitFor('ev-big dead-lettered', async () => (dead().length === 1 && events().length === 2 ? true : undefined), 10_000);
  t.match(dead(), [{ code: 'SV_ERR_BODY_TOO_LARGE' }], "the oversized event is a dead letter, with the cloud's code");
  const id = dead()[0]?.id as number;

  limit = 1 << 20; // the cloud's body limit raised
  const replayed = await api('POST', `/v1/dead-letters/${id}/replay`);
  t.equal(replayed.status, 200);
  t.same(replayed.body, { replayed: { id, deviceId: 'kit-1', kind: 'event' } });
  t.equal((await api('POST', `/v1/dead-letters/${id}/replay`)).status, 404, 'a second replay finds nothing');
  await waitFor('ev-big delivered', async () => (events().some((r) => r.id === 'ev-big') ? true : undefined), 10_000);
  await waitFor(
    'outbox empty',
    async () => ((db().prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n === 0 ? true : undefined),
    10_000,
  );
  t.same(
    events()
      .map((r) => r.id)
      .sort(),
    ['ev-a', 'ev-b', 'ev-big'],
    'the receiver got each event exactly once',
  );
  t.same(dead(), [], 'the dead letter is gone');
});
