import t from 'tap';
import { isSvError } from '../../shared/errors.js';
import { type ChannelKeys, channelKey, channelKeys, isSealed, NO_KEYS, open, openWith, seal } from './sealed-config.js';

const key = channelKey('k'.repeat(32)) as Buffer;
const other = channelKey('o'.repeat(32)) as Buffer;
const only = (k: Buffer): ChannelKeys => ({ current: k, previous: [] });
const json = JSON.stringify({ kind: 'webhook', url: 'https://hook.example/x', secret: 'whsec-0123456789abcdef' });

t.test('a sealed config opens with its key and channel id; the stored form says nothing of it', async (t) => {
  const s = seal(json, key, 'nch_1');
  t.ok(isSealed(s));
  t.match(s, /^sv1:[\w-]+\.[\w-]+\.[\w-]+$/);
  t.notOk(s.includes('whsec'), 'the secret is not in the stored form');
  t.equal(open(s, only(key), 'nch_1'), json);
  t.not(seal(json, key, 'nch_1'), s, 'a random IV: the same config seals differently');
  t.equal(key.length, 32);
  t.same(channelKey('k'.repeat(32)), key, 'the key derivation is fixed');
  t.equal(channelKey(undefined), null);
});

t.test('plain JSON (written before the key was set) is read as it is, with or without a key', async (t) => {
  t.equal(open(json, only(key), 'nch_1'), json);
  t.equal(open(json, NO_KEYS, 'nch_1'), json);
  t.same(openWith(json, only(key), 'nch_1'), { json, with: 'plain' });
});

t.test('no key, a wrong key, an altered value or another channel id: refused, naming notify.secretsKey', async (t) => {
  const s = seal(json, key, 'nch_1');
  const [iv, tag, body] = s.slice(4).split('.') as [string, string, string];
  const flipped = Buffer.from(body, 'base64url');
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  const cases: [string, () => string][] = [
    ['no key', () => open(s, NO_KEYS, 'nch_1')],
    ['a wrong key', () => open(s, only(other), 'nch_1')],
    ['a wrong key and a wrong previous key', () => open(s, { current: other, previous: [channelKey('p'.repeat(32)) as Buffer] }, 'nch_1')],
    ['the right key as a previous key, but another channel id', () => open(s, { current: other, previous: [key] }, 'nch_2')],
    ['an altered ciphertext', () => open(`sv1:${iv}.${tag}.${flipped.toString('base64url')}`, only(key), 'nch_1')],
    ['an altered tag', () => open(`sv1:${iv}.${body.slice(0, 22)}.${body}`, only(key), 'nch_1')],
    ['another channel id', () => open(s, only(key), 'nch_2')],
    ['a truncated value', () => open('sv1:abc', only(key), 'nch_1')],
    ['neither JSON nor sealed', () => open('garbage', only(key), 'nch_1')],
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

t.test('rotation (ADR 077): a value sealed under a previous key opens with it, and says so', async (t) => {
  const a = 'a'.repeat(32);
  const b = 'b'.repeat(32);
  const underA = seal(json, channelKey(a) as Buffer, 'nch_1');
  const underB = seal(json, channelKey(b) as Buffer, 'nch_1');
  const rotated = channelKeys(b, [a]); // step 2: the new key seals, the old one still opens
  t.same(openWith(underA, rotated, 'nch_1'), { json, with: 'previous' }, 'the old key opens what it sealed');
  t.same(openWith(underB, rotated, 'nch_1'), { json, with: 'current' }, 'the new key first');
  const step1 = channelKeys(a, [b]); // step 1: the new key only opens
  t.same(openWith(underB, step1, 'nch_1'), { json, with: 'previous' }, 'step 1 reads what a step-2 instance sealed');
  t.same(openWith(underA, step1, 'nch_1'), { json, with: 'current' });
  const unused = channelKeys(a, ['u'.repeat(32)]);
  t.same(openWith(underA, unused, 'nch_1'), { json, with: 'current' }, 'a previous key no row uses is harmless');
  t.same(channelKeys(undefined), NO_KEYS);
  t.equal(rotated.previous.length, 1);
  t.same(rotated.previous[0], channelKey(a), 'each previous key derived as notify.secretsKey is');
  try {
    open(underA, channelKeys(b, ['w'.repeat(32)]), 'nch_1');
    t.fail('opened with a wrong previous key');
  } catch (err) {
    const e = err as Error & { details: string[] };
    t.match(e.message, /does not open with notify\.secretsKey or any of notify\.previousSecretsKeys/, 'the reason names both keys');
    t.notOk(`${e.message} ${e.details.join(' ')}`.includes('w'.repeat(32)), 'not the previous key');
  }
});
