import t from 'tap';
import { bucketQueryProblem, Every, targetAt, targetSteps, withTargets } from './buckets.js';

t.test('targets per bucket follow the cook: none before it, each change, none after the stop', async (t) => {
  const steps = targetSteps([
    { ts: 25_000, state: 'heating', targetC: 57 },
    { ts: 60_000, state: 'stopped', targetC: 60 },
    { ts: 41_000, state: 'heating', targetC: 60 },
  ]);
  t.same(steps, [
    { ts: 25_000, targetC: 57 },
    { ts: 41_000, targetC: 60 },
    { ts: 60_000, targetC: null },
  ]);
  t.equal(targetAt(steps, 24_999), null);
  t.equal(targetAt(steps, 25_000), 57);
  const buckets = [0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000].map((ts) => ({ ts }));
  t.same(
    withTargets(buckets, steps, 10_000).map((b) => b.targetC),
    [null, null, 57, 57, 60, 60, null],
    'a bucket carries the target at its end (a cook starting inside it counts)',
  );
});

t.test('every and the bucket limit are refused with the field named', async (t) => {
  t.equal(Every.parse('5s'), 5000);
  t.equal(Every.parse('250'), 250);
  t.notOk(Every.safeParse('5 minutes').success);
  t.equal(bucketQueryProblem(10, 10, 1), 'query.from: must be before query.to');
  t.equal(
    bucketQueryProblem(0, 100_000, 1),
    'query.every: 1 ms makes 100000 buckets over this range, more than 10000; give every=10ms or more, or a shorter range',
  );
  t.equal(bucketQueryProblem(0, 100_000, 10), null, 'the least it names is enough');
  t.equal(bucketQueryProblem(0, 100_000, 1000), null);
});
