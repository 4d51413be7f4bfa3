import { readFileSync } from 'node:fs';
import t from 'tap';
import { type GoldenInvalid, type GoldenValid, invalid, valid } from '../scripts/golden-source.js';
import { parseDeviceMessage } from './parse.js';

const golden = JSON.parse(readFileSync(new URL('../fixtures/golden-v1.json', import.meta.url), 'utf8')) as {
  valid: GoldenValid[];
  invalid: GoldenInvalid[];
};

t.test('the golden fixture file is what golden-source.ts generates', async (t) => {
  t.same(golden.valid, valid);
  t.same(golden.invalid, invalid);
  t.ok(golden.valid.length >= 10 && golden.invalid.length >= 20, 'a meaningful number of cases');
});

t.test('every valid golden payload is accepted, and decodes to its JSON', async (t) => {
  for (const g of golden.valid) {
    const r = parseDeviceMessage(g.kind, g.payload);
    t.ok(r.ok, `${g.name}: accepted${r.ok ? '' : ` (${r.reason})`}`);
    if (r.ok) t.same(r.value, JSON.parse(g.payload), `${g.name}: decoded value equals the payload`);
  }
});

t.test('every invalid golden payload is rejected with its code and a message naming the field', async (t) => {
  for (const g of golden.invalid) {
    const r = parseDeviceMessage(g.kind, g.payload);
    t.notOk(r.ok, `${g.name}: rejected`);
    if (r.ok) continue;
    t.equal(r.code, g.code, `${g.name}: code ${g.code}`);
    t.ok(
      r.issues.some((line) => line.startsWith(`${g.field}: `)),
      `${g.name}: an issue names "${g.field}" (got ${JSON.stringify(r.issues)})`,
    );
  }
});

t.test('a payload of another kind is rejected on its own fields', async (t) => {
  const status = golden.valid.find((g) => g.kind === 'status');
  const r = parseDeviceMessage('telemetry', status?.payload ?? '');
  t.notOk(r.ok);
  if (!r.ok) t.match(r.reason, /seq: /);
});

t.test('bytes that are not UTF-8 are rejected, not thrown', async (t) => {
  const r = parseDeviceMessage('telemetry', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
  t.same(r.ok ? null : r.code, 'SV_ERR_PAYLOAD_NOT_UTF8');
});
