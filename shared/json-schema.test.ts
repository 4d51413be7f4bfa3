import { readFileSync } from 'node:fs';
import t from 'tap';
import { renderDeviceJsonSchema, renderGolden, renderKitContract } from './scripts/artifacts.js';

// The checked-in artifacts must equal what the code generates; run `npm run gen:schemas` to refresh.
t.test('shared/json-schema/device-v1.schema.json is not stale', async (t) => {
  const onDisk = readFileSync(new URL('./json-schema/device-v1.schema.json', import.meta.url), 'utf8');
  t.equal(onDisk, renderDeviceJsonSchema(), 'regenerate with npm run gen:schemas');
  const doc = JSON.parse(onDisk) as { $defs: Record<string, { additionalProperties?: boolean; required?: string[] }> };
  t.same(Object.keys(doc.$defs).sort(), ['ack', 'cmd', 'status', 'telemetry']);
  for (const [name, def] of Object.entries(doc.$defs)) {
    t.equal(def.additionalProperties, false, `${name}: unknown fields rejected (strict parsing)`);
  }
  t.same(doc.$defs.telemetry?.required?.sort(), ['boot', 'heater', 'sensor', 'seq', 'tempC', 'ts', 'v']);
});

t.test('shared/fixtures/golden-v1.json is not stale', async (t) => {
  const onDisk = readFileSync(new URL('./fixtures/golden-v1.json', import.meta.url), 'utf8');
  t.equal(onDisk, renderGolden(), 'regenerate with npm run gen:schemas');
});

t.test('shared/fixtures/kit-contract-v1.json is not stale', async (t) => {
  const onDisk = readFileSync(new URL('./fixtures/kit-contract-v1.json', import.meta.url), 'utf8');
  t.equal(onDisk, renderKitContract(), 'regenerate with npm run gen:schemas');
  const doc = JSON.parse(onDisk) as { cases: { name: string }[] };
  t.equal(doc.cases.length, 24, 'belief × command × expired × redelivered');
  t.equal(new Set(doc.cases.map((c) => c.name)).size, doc.cases.length, 'case names are unique');
});
