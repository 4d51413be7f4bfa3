import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { newSecret } from '../../cloud/auth/tokens.js';
import { generateSecret } from '../../gateway/devices/secrets.js';
import { findSecrets, secretForms } from './secret-scan.js';

/** The scanner of logs-secrets.test.ts must be able to fail: each form of a secret in a line is found. */
const device = generateSecret();
const key = newSecret('svk');
const token = newSecret('svg');
const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

t.test('a secret in any form is found', async (t) => {
  const secrets = [
    { label: 'device secret', value: device },
    { label: 'api key', value: key },
    { label: 'gateway token', value: token },
    { label: 'private key', value: pem },
  ];
  const body = device.slice(4);
  const lines: [string, string][] = [
    ['as issued', JSON.stringify({ level: 30, msg: 'kit connected', password: device })],
    ['without prefix', `{"msg":"secret ${body} accepted"}`],
    ['base64', JSON.stringify({ headers: { authorization: `Basic ${Buffer.from(`kit-001:${device}`).toString('base64')}` } })],
    ['base64url', `token=${Buffer.from(`x${key}`).toString('base64url')}`],
    ['hex', `payload ${Buffer.from(token).toString('hex')}`],
    ['url-encoded', `GET /v1/devices?key=${encodeURIComponent(`${key}`)}`],
    ['random bytes', `bytes=${Buffer.from(token.slice(4), 'base64url').toString('hex')}`],
    ['private key', JSON.stringify({ err: { message: `bad key ${pem}` } })],
  ];
  for (const [form, line] of lines) {
    const found = findSecrets([line], secrets);
    t.ok(found.length > 0, `found when logged ${form}: ${found.map((f) => `${f.label}/${f.form}`).join(', ')}`);
  }
  t.same(
    findSecrets(
      [
        '{"level":30,"msg":"gateway started","password":"[redacted]"}',
        `{"msg":"a different secret ${generateSecret()}"}`,
        `{"deviceId":"kit-001","reason":"bad_secret"}`,
      ],
      secrets,
    ),
    [],
    'clean lines (and other secrets) are not reported',
  );
  t.ok(secretForms(device).length >= 10, 'each secret is searched in many forms');
});
