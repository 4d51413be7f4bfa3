// Copies the non-TypeScript assets the compiled code reads at run time into dist/,
// and marks the CLI entry executable (package.json "bin").
import { chmodSync, cpSync, existsSync } from 'node:fs';

const assets = ['shared/json-schema', 'shared/fixtures', 'loadtest/native/kitgen.c'];
for (const dir of assets) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true });
}
chmodSync('dist/cli/main.js', 0o755);
