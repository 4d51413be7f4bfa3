import { createHmac } from 'node:crypto';
import t from 'tap';
import { signBody, verifySignature } from './signature.js';

t.test('the header is t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">', async (t) => {
  const body = '{"id":"ev-1","text":"Wasser ist bereit: 60 °C"}';
  const h = signBody('k'.repeat(16), body, 1_700_000_000);
  const want = createHmac('sha256', 'k'.repeat(16)).update(`1700000000.${body}`).digest('hex');
  t.equal(h, `t=1700000000,v1=${want}`);
  t.same(verifySignature('k'.repeat(16), body, h, 1_700_000_010), { ok: true, t: 1_700_000_000 });
});

t.test('a changed body, another key, a stale or malformed header are refused', async (t) => {
  const h = signBody('secret-0123456789', '{"a":1}', 1000);
  t.match(verifySignature('secret-0123456789', '{"a":2}', h, 1000), { ok: false, reason: 'signature mismatch' });
  t.match(verifySignature('secret-other-0000', '{"a":1}', h, 1000), { ok: false, reason: 'signature mismatch' });
  t.match(verifySignature('secret-0123456789', '{"a":1}', h, 1000 + 301), { ok: false, reason: /tolerance/ });
  t.match(verifySignature('secret-0123456789', '{"a":1}', 'v1=abc', 1000), { ok: false, reason: 'malformed header' });
  t.match(verifySignature('secret-0123456789', '{"a":1}', undefined, 1000), { ok: false, reason: 'missing header' });
});
