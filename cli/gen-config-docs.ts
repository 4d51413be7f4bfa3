import { writeFileSync } from 'node:fs';
import { renderConfigDocs } from './config-docs.js';

writeFileSync(new URL('../docs/config.md', import.meta.url), renderConfigDocs());
console.log('wrote docs/config.md');
