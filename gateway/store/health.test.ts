import t from 'tap';
import { capturedLogger } from '../../test/harness/captured-log.js';
import { FAILING_REPEAT_MS, StoreHealth } from './health.js';
import { logStoreHealth } from './health-log.js';

t.test('one line when commits start failing, one a minute while they fail, one when they recover', async (t) => {
  const h = new StoreHealth();
  const full = 'store commit failed: database or disk is full (SQLITE_FULL)';
  t.equal(h.commit(100, undefined, 0), null, 'healthy: nothing to say');
  t.equal(h.failing(0), null);
  t.same(h.commit(40, full, 1000), { kind: 'failing', error: full, messages: 40 });
  t.equal(h.commit(30, full, 2000), null, 'not again at once');
  t.same(h.failing(5000), { error: full, forMs: 4000 }, '/healthz says since when');
  t.same(h.commit(10, full, 1000 + FAILING_REPEAT_MS), { kind: 'still_failing', error: full, forMs: FAILING_REPEAT_MS, messages: 80 });
  t.same(h.commit(50, undefined, 90_000), { kind: 'recovered', afterMs: 89_000, messages: 80 });
  t.equal(h.failing(90_000), null);
  t.equal(h.commit(50, undefined, 91_000), null);
});

t.test('the log line says what to do', async (t) => {
  const { log, lines } = capturedLogger('store-health', 'info');
  logStoreHealth(log, '/var/lib/sousvide', {
    kind: 'failing',
    error: 'store commit failed: database or disk is full (SQLITE_FULL)',
    messages: 40,
  });
  logStoreHealth(log, '/var/lib/sousvide', {
    kind: 'failing',
    error: 'store commit failed: attempt to write a readonly database (SQLITE_READONLY)',
    messages: 1,
  });
  logStoreHealth(log, '/var/lib/sousvide', { kind: 'recovered', afterMs: 89_000, messages: 80 });
  const parsed = lines.map((l) => JSON.parse(l) as { level: number; msg: string; stack?: string });
  t.match(parsed[0], { level: 50, msg: /kits are not acknowledged.*free space on the disk of \/var\/lib\/sousvide/ });
  t.match(parsed[1], { level: 50, msg: /read-only or failing: check it/ });
  t.match(parsed[2], { level: 30, msg: /succeed again/ });
  t.notOk(
    parsed.some((p) => p.stack !== undefined),
    'no stack trace',
  );
});
