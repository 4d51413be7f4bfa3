import { cloudConfig } from '../cloud/config.js';
import { gatewayConfig } from '../gateway/config.js';
import { chaosConfig } from '../loadtest/chaos/config.js';
import { loadtestConfig } from '../loadtest/run/config.js';
import { renderConfigMarkdown } from '../shared/config/help.js';
import { benchCloudConfig, benchDrainConfig, benchIngestConfig } from './bench/config.js';

/** The tools' option sets (same loader as the servers'; a bad value is a usage error naming the flag). */
export const TOOL_CONFIGS = [loadtestConfig, chaosConfig, benchIngestConfig, benchCloudConfig, benchDrainConfig] as const;

/** docs/config.md, generated from the config specs (`npm run gen:docs`; a test fails when stale). */
export function renderConfigDocs(): string {
  return [
    '# Configuration',
    '',
    '<!-- Generated from gateway/config.ts, cloud/config.ts, loadtest/run/config.ts, loadtest/chaos/config.ts and cli/bench/config.ts by `npm run gen:docs`; do not edit by hand. -->',
    '',
    'Every key can be set, from lowest to highest precedence, by its default, a JSON file given with',
    '`--config FILE` (nested like the key, e.g. `{"mqtt":{"port":8883}}`), its environment variable,',
    'or its command-line flag. The config is validated once at start; a bad config stops the process',
    'with exit code 2 and one `key: reason` line for every bad key. Unknown keys in the file and',
    'unknown variables with the process prefix are errors too (typos do not pass silently), and so',
    'is a key given twice in one object of the file (`config file FILE: http: appears more than once',
    'in one object`), since only one of its values could count.',
    'A switch (a `bool` key) is `--x`, `--x=true`, `--x=false` or `--no-x` on the command line.',
    'A variable set to the empty string counts as not set (as `SV_GATEWAY_MQTT_PORT=` in a compose',
    'file or a systemd unit): the key keeps its value from the file or its default.',
    'Secrets are never printed: `--help` and logs show them as redacted.',
    '',
    renderConfigMarkdown('Gateway (`sousvide gateway`, prefix `SV_GATEWAY_`)', gatewayConfig.flat),
    renderConfigMarkdown('Cloud (`sousvide cloud`, prefix `SV_CLOUD_`)', cloudConfig.flat),
    'The tools (the load test, the chaos scenarios and the benchmarks) declare their options the same way: a flag,',
    "an environment variable (the prefixed name, or the load-test plan's own name such as `RUN_ID`), a",
    'key in a `--config` file, a default and a rule. A bad value stops the command with exit code 2 and',
    'one line per bad option that names the flag, the rule and the value given, e.g.',
    '`--kits: an integer from 1 to 15000 (got "many")`. A "key" below is also the `--config` file key.',
    '',
    ...TOOL_CONFIGS.map((def) => renderConfigMarkdown(`\`sousvide ${def.name}\` (prefix \`${def.envPrefix}\`)`, def.flat)),
  ].join('\n');
}
