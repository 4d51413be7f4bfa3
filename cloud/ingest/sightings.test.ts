import t from 'tap';
import { DeviceSightings } from './sightings.js';

const m = (...e: [string, number][]) => new Map(e);

t.test('a sighting goes to the meta store the first time, then once per interval by the readings own times', async (t) => {
  const s = new DeviceSightings(30_000);
  t.same(
    [...s.due('gw1', m(['a', 1_000], ['b', 1_000]))],
    [
      ['a', 1_000],
      ['b', 1_000],
    ],
    'first sightings: all due',
  );
  s.wrote('gw1', m(['a', 1_000], ['b', 1_000]));
  t.same([...s.due('gw1', m(['a', 2_000], ['b', 30_999]))], [], 'within the interval: none due');
  t.same([...s.due('gw1', m(['a', 31_000], ['b', 500]))], [['a', 31_000]], 'a due at 30 s; an older sighting of b is never due');
  t.same([...s.due('gw2', m(['a', 2_000]))], [['a', 2_000]], 'the same device reported by another gateway is its own sighting');
});

t.test('nothing counts as written until the store committed it', async (t) => {
  const s = new DeviceSightings(30_000);
  t.same([...s.due('gw1', m(['a', 1_000]))], [['a', 1_000]]);
  // The batch failed (no wrote): its retry writes again.
  t.same([...s.due('gw1', m(['a', 1_000]))], [['a', 1_000]], 'a failed batch leaves the device due');
});

t.test('0 writes every sighting; the memory is bounded', async (t) => {
  const every = new DeviceSightings(0);
  every.wrote('gw1', m(['a', 1_000]));
  t.same([...every.due('gw1', m(['a', 1_001]))], [['a', 1_001]]);
  const small = new DeviceSightings(30_000, 2);
  small.wrote('gw1', m(['a', 1_000], ['b', 1_000]));
  small.wrote('gw1', m(['c', 1_000]));
  t.same(
    [...small.due('gw1', m(['a', 1_500], ['c', 1_500]))],
    [['a', 1_500]],
    'past the bound the old memory is dropped: a is written once more',
  );
});
