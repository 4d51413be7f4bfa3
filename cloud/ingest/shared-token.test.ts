import t from 'tap';
import { SHARED_TOKEN_WINDOW_MS, SharedTokenWatch, sharedTokenNotification } from './shared-token.js';

t.test('two processes that alternate under one token are flagged; a restart is not', async (t) => {
  const w = new SharedTokenWatch();
  let now = Date.parse('2026-12-05T10:00:00Z');
  const batch = (gw: string, instance: string) => {
    now += 1000;
    return w.seen(gw, instance, now);
  };
  // A restart: the old process never sends again.
  t.same(
    ['a', 'a', 'a', 'b', 'b', 'b'].map((i) => batch('gw-restart', i)),
    [false, false, false, false, false, false],
    'a restart',
  );
  // Two copies: their heartbeats interleave.
  t.same(
    ['a', 'b', 'a'].map((i) => batch('gw-copy', i)),
    [false, false, true],
    'a copy: flagged when the first comes back',
  );
  t.same(
    ['b', 'a', 'b'].map((i) => batch('gw-copy', i)),
    [false, false, false],
    'once a day',
  );
  now += 86_400_000;
  t.same(
    ['a', 'b', 'a'].map((i) => batch('gw-copy', i)),
    [false, false, true],
    'and again the next day',
  );
  // A process that comes back after the window (a gateway restored from a backup months later) is not remembered.
  t.same(batch('gw-old', 'x'), false);
  t.same(batch('gw-old', 'y'), false);
  now += SHARED_TOKEN_WINDOW_MS + 1000;
  t.same(batch('gw-old', 'y'), false);
  now += SHARED_TOKEN_WINDOW_MS + 1000;
  t.same(batch('gw-old', 'x'), false, 'an instance last seen before the window is forgotten');
});

t.test('the notification: one id a day per gateway, plain words', async (t) => {
  const at = Date.parse('2026-12-05T10:00:00Z');
  const a = sharedTokenNotification({ id: 'kitchen-1', name: 'kitchen-1' }, at);
  t.equal(a.id, sharedTokenNotification({ id: 'kitchen-1', name: 'kitchen-1' }, at + 3_600_000).id, 'the same day: the same id');
  t.not(a.id, sharedTokenNotification({ id: 'kitchen-1', name: 'kitchen-1' }, at + 86_400_000).id, 'the next day: another');
  t.match(a, { type: 'gateway_token_shared', severity: 'alarm', deviceId: null });
  t.match(a.text, /Two running gateways use the token of the gateway kitchen-1.*sousvide cloud gateway add/);
});
