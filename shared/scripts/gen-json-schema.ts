/**
 * Generates the checked-in artifacts derived from shared/: the JSON Schema of the device
 * messages (for the firmware and third-party kits) and the golden payload fixtures.
 * `npm run gen:schemas` writes them; the test in shared/json-schema.test.ts fails if they are stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDeviceJsonSchema, renderGolden } from './artifacts.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
writeFileSync(here('../json-schema/device-v1.schema.json'), renderDeviceJsonSchema());
writeFileSync(here('../fixtures/golden-v1.json'), renderGolden());
console.log('wrote shared/json-schema/device-v1.schema.json and shared/fixtures/golden-v1.json');
