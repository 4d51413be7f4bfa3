import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import { DEFAULT_SCOPE } from '../../cloud/stores/types.js';
import { createLogger } from '../../shared/log.js';
import { outboxRows, relayOnProxy } from '../../test/cloud-behind-proxy.js';
import { waitFor } from '../../test/harness/index.js';
import { PRIORITY, type StoreItem } from '../store/items.js';
import { STORE_FILE } from '../store/open.js';
import { Relay } from './relay.js';

/**
 * Records the cloud will not store never block the outbox: an invalid record in a valid batch goes
 * to the cloud's dead letters; a batch refused whole (413: one record larger than the cloud's body
 * limit) is halved down to that record, which stays in the gateway's dead letters, counted.
 */
const { env, dataDir, store, opts } = await relayOnProxy(t, 'reject', {}, { 'http.bodyLimitBytes': 16 * 1024 });

t.test('an invalid record and an oversized one: neither blocks the outbox, both are accounted for', async (t) => {
  const items: StoreItem[] = [];
  const good: string[] = [];
  const ts = Date.now();
  const deadBefore = await env.stores.meta.countRows('dead_letters');
  for (let i = 0; i < 200; i++) {
    const id = `ev-rj-${i}`;
    const rec =
      i === 17
        ? { kind: 'event', id, deviceId: 'kit-rj', type: 'bad', severity: 'apocalyptic', ts, safety: false, data: {} } // not a Severity
        : i === 120
          ? { kind: 'event', id, deviceId: 'kit-rj', type: 'huge', severity: 'info', ts, safety: false, data: { blob: 'x'.repeat(40_000) } }
          : {
              kind: 'event',
              id,
              deviceId: 'kit-rj',
              type: 'reached',
              severity: 'info',
              ts,
              safety: false,
              data: { i, pad: 'p'.repeat(100) },
            };
    if (i !== 17 && i !== 120) good.push(id);
    items.push({ t: 'out', priority: PRIORITY.safety, kind: 'event', record: JSON.stringify(rec), ts });
  }
  await Promise.all(items.map((it) => new Promise<void>((res, rej) => store.write(it, (err) => (err ? rej(err) : res())))));
  const relay = new Relay(opts, store, dataDir, createLogger({ name: 'relay-test', level: 'silent', pretty: false }));
  relay.start();
  t.teardown(() => relay.stop());
  await waitFor('outbox empty', async () => (outboxRows(dataDir, 'event') === 0 ? true : undefined), 60_000);
  const events = await env.stores.meta.listEvents(DEFAULT_SCOPE, { deviceId: 'kit-rj' }, { limit: 500 });
  t.same(events.items.map((e) => e.id).sort(), [...good].sort(), 'every valid event is in MySQL, exactly once');
  t.equal(await env.stores.meta.countRows('dead_letters'), deadBefore + 1, "the invalid record is in the cloud's dead letters");
  t.same(relay.drops.totals, { 'rejected:event': 1 }, 'the oversized record is counted as a drop');
  const db = new Sqlite(join(dataDir, STORE_FILE), { readonly: true });
  const dead = db.prepare("SELECT payload FROM dead_letters WHERE topic = 'relay/outbox'").all() as { payload: Buffer }[];
  db.close();
  t.equal(dead.length, 1, "one dead letter in the gateway's store");
  t.match(JSON.parse(String(dead[0]?.payload)), { id: 'ev-rj-120' }, 'it is the oversized record');
  await waitFor('drop report delivered', async () =>
    (await env.stores.meta.listEvents(DEFAULT_SCOPE, { type: 'relay_drop' }, { limit: 10 })).items.length > 0 ? true : undefined,
  );
});
