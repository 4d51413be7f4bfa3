/**
 * Generates the checked-in artifacts derived from shared/: the JSON Schema of the device
 * messages (for the firmware and third-party kits), the golden payload fixtures and the kit's
 * command-contract fixture.
 * `npm run gen:schemas` writes them; the test in shared/json-schema.test.ts fails if they are stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDeviceJsonSchema, renderGolden, renderKitContract } from './artifacts.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
writeFileSync(here('../json-schema/device-v1.schema.json'), renderDeviceJsonSchema());
writeFileSync(here('../fixtures/golden-v1.json'), renderGolden());
writeFileSync(here('../fixtures/kit-contract-v1.json'), renderKitContract());
console.log('wrote shared/json-schema/device-v1.schema.json, shared/fixtures/golden-v1.json and shared/fixtures/kit-contract-v1.json');
