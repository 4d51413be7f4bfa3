import { cloudConfig } from '../cloud/config.js';
import { gatewayConfig } from '../gateway/config.js';
import { renderConfigMarkdown } from '../shared/config/help.js';

/** docs/config.md, generated from the config specs (`npm run gen:docs`; a test fails when stale). */
export function renderConfigDocs(): string {
  return [
    '# Configuration',
    '',
    '<!-- Generated from gateway/config.ts and cloud/config.ts by `npm run gen:docs`; do not edit by hand. -->',
    '',
    'Every key can be set, from lowest to highest precedence, by its default, a JSON file given with',
    '`--config FILE` (nested like the key, e.g. `{"mqtt":{"port":8883}}`), its environment variable,',
    'or its command-line flag. The config is validated once at start; a bad config stops the process',
    'with exit code 2 and one `key: reason` line for every bad key. Unknown keys in the file and',
    'unknown variables with the process prefix are errors too (typos do not pass silently).',
    'Secrets are never printed: `--help` and logs show them as redacted.',
    '',
    renderConfigMarkdown('Gateway (`sousvide gateway`, prefix `SV_GATEWAY_`)', gatewayConfig.flat),
    renderConfigMarkdown('Cloud (`sousvide cloud`, prefix `SV_CLOUD_`)', cloudConfig.flat),
  ].join('\n');
}
