import { readFileSync } from 'node:fs';
import t from 'tap';
import { cloudConfig } from '../cloud/config.js';
import { gatewayConfig } from '../gateway/config.js';
import { renderConfigDocs, TOOL_CONFIGS } from './config-docs.js';

t.test('docs/config.md lists every key and is not stale', async (t) => {
  const onDisk = readFileSync(new URL('../docs/config.md', import.meta.url), 'utf8');
  t.equal(onDisk, renderConfigDocs(), 'regenerate with npm run gen:docs');
  for (const f of [...gatewayConfig.flat, ...cloudConfig.flat, ...TOOL_CONFIGS.flatMap((d) => d.flat)]) {
    t.match(onDisk, `\`--${f.flag}\` | \`${f.env}\``, `documents ${f.path}`);
  }
});
