import t from 'tap';
import { SteadyClock } from './steady-clock.js';

t.test('steady time follows the monotonic clock from the wall clock at start; records go back to the wall clock', async (t) => {
  let wall = Date.parse('2026-12-05T06:00:00Z');
  let mono = 1234.5; // performance.now() is fractional and starts near 0
  const clock = new SteadyClock(
    () => wall,
    () => mono,
  );
  t.equal(clock.now(), wall, 'equal to the wall clock at start');
  wall += 10_000;
  mono += 10_000;
  t.equal(clock.now(), wall, 'and while neither steps');
  t.equal(clock.step(), null, 'no step');

  // NTP's first sync on a board without a real-time clock: three days forward.
  const days = 3 * 86_400_000;
  wall += days + 500;
  mono += 500;
  t.equal(clock.now(), Date.parse('2026-12-05T06:00:10.500Z'), 'steady time moved by half a second, not three days');
  t.equal(clock.offsetMs(), days, 'the wall clock is three days ahead of steady time');
  t.equal(clock.toWall(clock.now()), wall, 'an instant of steady time is stamped with the new wall time');
  t.equal(clock.fromWall(wall - 60_000), clock.now() - 60_000, 'a stored reading a minute old is a minute old on steady time');
  t.equal(clock.step(), days, 'the step is reported once…');
  t.equal(clock.step(), null, '…and only once');

  // An operator sets the clock back an hour; then NTP slews it by 0.4 s: not a step.
  wall -= 3_600_000;
  t.equal(clock.step(), -3_600_000, 'a step back');
  wall += 400;
  t.equal(clock.step(), null, 'a slew under a second is not a step');
  const before = clock.now();
  mono += 0.4;
  t.ok(clock.now() >= before, 'steady time never goes back');
});

t.test("a test's clock given as both: steady time is that clock, and nothing ever steps", async (t) => {
  let sim = 1_000;
  const clock = new SteadyClock(
    () => sim,
    () => sim,
  );
  sim += 3 * 3_600_000;
  t.equal(clock.now(), sim);
  t.equal(clock.offsetMs(), 0);
  t.equal(clock.step(), null);
});
