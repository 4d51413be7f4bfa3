import t from 'tap';
import { afterAttempt } from './backoff.js';

const policy = { baseMs: 1000, maxMs: 8000, maxAttempts: 6 };

t.test('failed attempts back off exponentially up to the cap, then give up', async (t) => {
  const delays: number[] = [];
  let attempts = 0;
  let r = afterAttempt({ delivery: 7, attempts }, 'HTTP 503', 0, policy);
  while (r.state === 'pending') {
    delays.push(r.nextTs - r.attemptTs);
    attempts++;
    r = afterAttempt({ delivery: 7, attempts }, 'HTTP 503', 0, policy);
  }
  t.same(delays, [1000, 2000, 4000, 8000, 8000], 'doubling, capped');
  t.equal(r.state, 'failed', `given up after ${policy.maxAttempts} attempts`);
  t.equal(r.error, 'HTTP 503', 'keeping the last error');
});

t.test('a success is sent, with no error', async (t) => {
  t.same(afterAttempt({ delivery: 3, attempts: 4 }, null, 42, policy), {
    delivery: 3,
    state: 'sent',
    attemptTs: 42,
    nextTs: 42,
    error: null,
  });
});
