import t from 'tap';
import { type LocalCook, resolveCook } from './downlink.js';
import { DropCounter } from './drops.js';
import { Backoff, BatchSizer, parseRetryAfter } from './pacing.js';

/** The relay's pure rules: backoff, Retry-After, adaptive batch size, drop reports, the sync rule (docs/sync.md). */

t.test('backoff: decorrelated jitter within [base, min(max, 3 × previous)], Retry-After is a floor', async (t) => {
  let r = 0.999;
  const b = new Backoff(100, 5000, () => r);
  const waits = Array.from({ length: 8 }, () => b.next());
  t.ok(waits[0] !== undefined && waits[0] >= 100 && waits[0] <= 100.1, 'first wait is the base');
  for (let i = 1; i < waits.length; i++) t.ok((waits[i] as number) <= Math.min(5000, 3 * (waits[i - 1] as number)) + 1e-6);
  t.equal(waits[7], 5000, 'capped at the maximum');
  r = 0;
  t.equal(b.next(), 100, 'the lowest draw is the base');
  t.equal(b.next(30_000), 30_000, 'a server Retry-After longer than the jitter wins');
  b.reset();
  t.equal(b.failures, 0);
  t.equal(parseRetryAfter('3', 0), 3000);
  t.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000, 'HTTP date form');
  t.equal(parseRetryAfter(undefined, 0), undefined);
  t.equal(parseRetryAfter('soon', 0), undefined);
});

t.test('batch size grows while the cloud keeps up, halves on slowness or failure', async (t) => {
  const s = new BatchSizer(50, 10_000, 1000);
  t.equal(s.current, 500);
  s.onSuccess(500, 700);
  t.equal(s.current, 750, 'a full batch answered under the target grows the next by half');
  s.onSuccess(750, 200);
  t.equal(s.current, 1500, 'under half the target it doubles');
  s.onSuccess(100, 200);
  t.equal(s.current, 1500, 'a partial batch says nothing about capacity');
  s.onSuccess(1500, 1500);
  t.equal(s.current, 750, 'slower than the target halves it');
  for (let i = 0; i < 20; i++) s.shrink();
  t.equal(s.current, 50, 'never under the minimum');
  for (let i = 0; i < 40; i++) s.onSuccess(s.current, 10);
  t.equal(s.current, 10_000, 'never over the maximum');
});

t.test('drop counter: totals by reason, one report event for the pending counts', async (t) => {
  const d = new DropCounter();
  d.addAll('quota', { telemetry: 5, status: 1 }, 1000);
  d.add('rejected:event', 1, 2000);
  const report = JSON.parse(d.takeReport(3000) as string);
  t.match(report, {
    kind: 'event',
    type: 'relay_drop',
    deviceId: null,
    data: { dropped: { 'quota:telemetry': 5, 'quota:status': 1, 'rejected:event': 1 }, sinceTs: 1000, untilTs: 3000 },
  });
  t.equal(d.takeReport(4000), undefined, 'nothing pending after a report');
  t.same(d.totals, { 'quota:telemetry': 5, 'quota:status': 1, 'rejected:event': 1 }, 'totals stay');
  d.restore(JSON.stringify(report));
  t.ok(d.hasPending, 'a report that could not be queued is restored');
});

t.test('sync rule: later updatedTs wins, ties go to the cloud, replays are no-ops', async (t) => {
  const spec = { targetC: 60 };
  const desired = { id: 'cloud-1', version: 7, spec, updatedTs: 2000 };
  const local = (o: Partial<LocalCook>): LocalCook => ({ id: 'local-1', spec: { targetC: 56 }, updatedTs: 1000, origin: 'local', ...o });
  t.match(resolveCook(null, desired), { action: 'apply' }, 'nothing running: the cloud cook starts');
  t.match(resolveCook(local({ updatedTs: 1000 }), desired), { action: 'apply' }, 'changed in the cloud after the local change: cloud wins');
  t.match(
    resolveCook(local({ updatedTs: 3000 }), desired),
    { action: 'keep', why: 'local-newer' },
    'changed locally (offline) after the cloud: local wins',
  );
  t.match(resolveCook(local({ updatedTs: 2000 }), desired), { action: 'apply' }, 'a tie goes to the cloud');
  t.match(
    resolveCook(local({ id: 'cloud-1', spec, updatedTs: 2000, origin: 'cloud' }), desired),
    { action: 'keep', why: 'same' },
    'a replay is a no-op',
  );
  t.match(
    resolveCook(local({ id: 'cloud-1', spec: null, updatedTs: 2000, origin: 'cloud' }), desired),
    { action: 'keep', why: 'same' },
    'a cloud cook that has since finished here is not started again',
  );
  t.match(
    resolveCook(local({ id: 'cloud-1', spec: { targetC: 58 }, updatedTs: 2500 }), desired),
    { action: 'keep' },
    'the cloud cook changed here afterwards: the local change stands',
  );
  t.match(
    resolveCook(local({ origin: 'cloud', id: 'cloud-0' }), null),
    { action: 'stop', cookId: 'cloud-0' },
    'the cloud stops a cook it knows (it set it, or adopted it)',
  );
  t.match(resolveCook(local({}), null), { action: 'keep', why: 'local-not-stoppable' }, 'a cloud "none" does not stop a kitchen cook');
  t.match(resolveCook(null, null), { action: 'keep', why: 'none' });
});
