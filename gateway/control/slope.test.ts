import t from 'tap';
import { EMPTY_WINDOW, fitLine, fitSince, follow, pushSample, windowLength, windowOf } from './slope.js';

/** The readings ring (slope.ts): a view per state, one copy of each reading, states stay values. */

t.test('the window keeps the last span of readings and fits the same line as the readings themselves', async (t) => {
  let w = EMPTY_WINDOW;
  for (let s = 0; s < 500; s++) w = pushSample(w, s * 1000, 20 + 0.01 * s, 90_000);
  t.equal(windowLength(w), 91, 'readings from now − 90 s to now');
  t.same(w.toJSON().t.slice(0, 2), [409_000, 410_000]);
  const f = fitLine(w)!;
  t.ok(Math.abs(f.slope - 0.01) < 1e-9 && Math.abs(f.level - 24.99) < 1e-9, `slope ${f.slope}, level ${f.level}`);
  const tail = fitSince(w, 480_000)!;
  const ref = fitLine(
    windowOf(
      [...Array(20)].map((_, i) => (480 + i) * 1000),
      [...Array(20)].map((_, i) => 20 + 0.01 * (480 + i)),
    ),
  )!;
  t.same(tail, ref, 'the fit since a time equals the fit of those readings alone');
  const slope = follow(EMPTY_WINDOW, w, 20_000);
  t.equal(windowLength(slope), 21, 'the 20 s slope window is a view on the same ring');
  t.equal(slope.ring, w.ring);
});

t.test('faster telemetry: the ring grows rather than drop readings the window needs', async (t) => {
  let w = EMPTY_WINDOW;
  for (let i = 0; i < 2000; i++) w = pushSample(w, i * 100, i, 90_000);
  t.equal(windowLength(w), 901);
  t.same(w.toJSON().c.slice(0, 3), [1099, 1100, 1101]);
});

t.test('stepping an older state again writes on a copy: the newer state keeps its readings', async (t) => {
  let w = EMPTY_WINDOW;
  for (let s = 0; s < 50; s++) w = pushSample(w, s * 1000, s, 90_000);
  const newer = pushSample(w, 50_000, 50, 90_000);
  const branch = pushSample(w, 50_000, -1, 90_000);
  t.equal(newer.toJSON().c.at(-1), 50, 'the newer state still holds its own reading');
  t.equal(branch.toJSON().c.at(-1), -1);
  t.not(branch.ring, newer.ring, 'the branch has its own ring');
  t.same(w.toJSON().c.length, 50, 'the older view is unchanged');
});
