import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import t from 'tap';

/**
 * The dashboard has its own tsconfig (DOM types; the root one is Node-only and excludes it), and
 * esbuild strips types without checking them, so this test is where `npm test` type-checks it.
 */
t.test('the dashboard type-checks with its own tsconfig', async (t) => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  let out = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', 'dashboard/tsconfig.json', '--noEmit'], { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    out = String((err as { stdout?: string }).stdout ?? err);
  }
  t.equal(out, '', 'tsc -p dashboard/tsconfig.json reports nothing');
});
