import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import type { NotifyRows } from '../store/items.js';
import { STORE_FILE } from '../store/open.js';
import { StoreWriter } from '../store/writer.js';
import { deliveries, dueDeliveries } from './store.js';

const write = (store: StoreWriter, item: Parameters<StoreWriter['write']>[0]) =>
  new Promise<number>((resolve, reject) => store.write(item, (err, outcome) => (err ? reject(err) : resolve(outcome))));

t.test('a notification commits with its event, once, with one delivery row per channel; done rows age out', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-notify-store-'));
  const store = new StoreWriter(dir);
  await store.open();
  t.teardown(() => store.close());
  const db = new Sqlite(join(dir, STORE_FILE), { readonly: true });
  t.teardown(() => db.close());
  const body = { id: 'ev-1', type: 'sensor_fault', severity: 'alarm', deviceId: 'kit-1', at: '2026-12-04T10:00:00.000Z', text: 'x' };
  const notify: NotifyRows = { ...body, ts: 1000, body: JSON.stringify(body), channels: ['webhook', 'email'] };
  const event = {
    t: 'event',
    id: 'ev-1',
    deviceId: 'kit-1',
    type: 'sensor_fault',
    severity: 'alarm',
    safety: true,
    ts: 1000,
    data: '{}',
    outbox: null,
    notify,
  } as const;
  await write(store, event);
  await write(store, { ...event, notify: { ...notify, channels: ['webhook', 'email', 'ntfy'] } }); // a replayed event
  t.same(
    db.prepare('SELECT channel, state, attempts FROM notify_deliveries ORDER BY channel').all() as unknown[],
    [
      { channel: 'email', state: 'pending', attempts: 0 },
      { channel: 'webhook', state: 'pending', attempts: 0 },
    ],
    'one row per channel, stored once',
  );
  const due = dueDeliveries(db, Date.now(), 10);
  t.same(
    due.map((d) => d.notification),
    [body, body],
    'due at once, with the notification as sent',
  );
  const [a, b] = due;
  await store.notifyResults([
    { delivery: a?.delivery ?? 0, state: 'sent', attemptTs: 5000, nextTs: 5000, error: null },
    { delivery: b?.delivery ?? 0, state: 'pending', attemptTs: 5000, nextTs: Date.now() + 60_000, error: 'HTTP 503' },
  ]);
  t.equal(dueDeliveries(db, Date.now(), 10, 10 * 60_000).length, 0, 'a retry waits for its backoff');
  // The wall clock steps back an hour: the retry is due now, not in an hour and a minute.
  t.same(
    dueDeliveries(db, Date.now() - 3_600_000, 10, 10 * 60_000).map((d) => d.delivery),
    [b?.delivery],
    'a clock stepped back further than any backoff: the retry is due at once',
  );
  t.equal(dueDeliveries(db, Date.now() - 30_000, 10, 10 * 60_000).length, 0, 'a small step back leaves the backoff as it was');
  const view = deliveries(db, { limit: 10 });
  t.same(view.map((v) => [v.state, v.attempts, v.lastError]).sort(), [
    ['pending', 1, 'HTTP 503'],
    ['sent', 1, null],
  ]);
  await store.retention(6000, 1_000_000);
  t.same(
    db.prepare('SELECT state FROM notify_deliveries').all() as unknown[],
    [{ state: 'pending' }],
    'retention drops the sent row, keeps the pending one',
  );
  t.equal((db.prepare('SELECT count(*) AS n FROM notifications').get() as { n: number }).n, 1, 'and the notification it still needs');
});
