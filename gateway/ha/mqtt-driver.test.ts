import t from 'tap';
import { backoffDelay, redact } from './mqtt-driver.js';

t.test('reconnects back off exponentially with jitter, up to the cap', async (t) => {
  const b = { baseMs: 1000, maxMs: 60_000 };
  t.same(
    [0, 1, 2, 3, 6, 7, 50].map((n) => backoffDelay(n, b, 1)),
    [1000, 2000, 4000, 8000, 60_000, 60_000, 60_000],
    'the ceiling doubles to the cap',
  );
  t.same(
    [0, 1, 6].map((n) => backoffDelay(n, b, 0)),
    [500, 1000, 30_000],
    'jitter: never below half the ceiling',
  );
});

t.test('a URL is logged without its password', async (t) => {
  t.equal(redact('mqtt://sousvide:pw-123456@homeassistant.local:1883'), 'mqtt://sousvide:***@homeassistant.local:1883');
  t.equal(redact('mqtt://homeassistant.local:1883'), 'mqtt://homeassistant.local:1883');
  t.equal(redact('not a url'), '(invalid url)');
});
