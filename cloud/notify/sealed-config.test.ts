import t from 'tap';
import { isSvError } from '../../shared/errors.js';
import { channelKey, isSealed, open, seal } from './sealed-config.js';

const key = channelKey('k'.repeat(32)) as Buffer;
const other = channelKey('o'.repeat(32)) as Buffer;
const json = JSON.stringify({ kind: 'webhook', url: 'https://hook.example/x', secret: 'whsec-0123456789abcdef' });

t.test('a sealed config opens with its key and channel id; the stored form says nothing of it', async (t) => {
  const s = seal(json, key, 'nch_1');
  t.ok(isSealed(s));
  t.match(s, /^sv1:[\w-]+\.[\w-]+\.[\w-]+$/);
  t.notOk(s.includes('whsec'), 'the secret is not in the stored form');
  t.equal(open(s, key, 'nch_1'), json);
  t.not(seal(json, key, 'nch_1'), s, 'a random IV: the same config seals differently');
  t.equal(key.length, 32);
  t.same(channelKey('k'.repeat(32)), key, 'the key derivation is fixed');
  t.equal(channelKey(undefined), null);
});

t.test('plain JSON (written before the key was set) is read as it is, with or without a key', async (t) => {
  t.equal(open(json, key, 'nch_1'), json);
  t.equal(open(json, null, 'nch_1'), json);
});

t.test('no key, a wrong key, an altered value or another channel id: refused, naming notify.secretsKey', async (t) => {
  const s = seal(json, key, 'nch_1');
  const [iv, tag, body] = s.slice(4).split('.') as [string, string, string];
  const flipped = Buffer.from(body, 'base64url');
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  const cases: [string, () => string][] = [
    ['no key', () => open(s, null, 'nch_1')],
    ['a wrong key', () => open(s, other, 'nch_1')],
    ['an altered ciphertext', () => open(`sv1:${iv}.${tag}.${flipped.toString('base64url')}`, key, 'nch_1')],
    ['an altered tag', () => open(`sv1:${iv}.${body.slice(0, 22)}.${body}`, key, 'nch_1')],
    ['another channel id', () => open(s, key, 'nch_2')],
    ['a truncated value', () => open('sv1:abc', key, 'nch_1')],
    ['neither JSON nor sealed', () => open('garbage', key, 'nch_1')],
  ];
  for (const [name, f] of cases) {
    try {
      f();
      t.fail(`${name}: opened`);
    } catch (err) {
      t.ok(isSvError(err, 'SV_ERR_CONFIG_INVALID'), `${name}: SV_ERR_CONFIG_INVALID`);
      const e = err as Error & { details: string[] };
      t.match(`${e.message} ${e.details.join(' ')}`, /notify\.secretsKey/, `${name}: names notify.secretsKey`);
      t.notOk(`${e.message} ${e.details.join(' ')}`.includes(body), `${name}: not the ciphertext`);
      t.notOk(`${e.message} ${e.details.join(' ')}`.includes('k'.repeat(32)), `${name}: not the key`);
    }
  }
});
