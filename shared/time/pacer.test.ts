import t from 'tap';
import { Pacer } from './pacer.js';

t.test('idle, a batch leaves at once; under load at most one per interval, the timer ending the wait', async (t) => {
  t.capture(performance, 'now', () => clock); // fake time only; the timer is real and short
  let clock = 1000;
  let retries = 0;
  const pacer = new Pacer(50, () => retries++);
  t.equal(pacer.due(), true, 'the first batch leaves at once');
  clock += 10;
  t.equal(pacer.due(), false, '10 ms later the next one waits');
  t.equal(pacer.due(), false, 'asked again in the same interval, it still waits…');
  clock += 40;
  await new Promise((r) => setTimeout(r, 80));
  t.equal(retries, 1, '…and one timer (not one per ask) calls back when the interval is over');
  t.equal(pacer.due(), true, 'then it leaves');
  clock += 1;
  t.equal(pacer.due(true), true, 'a full batch or a closing queue leaves whatever the interval');
  clock += 1;
  t.equal(pacer.due(), false, 'and counts as the last one');
  pacer.cancel();
  await new Promise((r) => setTimeout(r, 80));
  t.equal(retries, 1, 'a cancelled wait never calls back');
});

t.test('without an interval every ask may send', async (t) => {
  const pacer = new Pacer(0, () => t.fail('no timer without an interval'));
  for (let i = 0; i < 3; i++) t.equal(pacer.due(), true, `ask ${i}`);
});
