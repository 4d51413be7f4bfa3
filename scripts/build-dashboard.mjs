// Bundles the dashboard (dashboard/src, uPlot, the CSS) with esbuild into dist/dashboard/:
// index.html, app.js, app.css. Runs in `npm run build` (so during `npm ci`) and from the browser
// test when the bundle is missing or older than its sources. No type check here: esbuild strips
// types; `tsc -p dashboard/tsconfig.json` checks them (see cli/demo/dashboard-check.test.ts).
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'dashboard');

export async function buildDashboard({ quiet = false } = {}) {
  mkdirSync(out, { recursive: true });
  const result = await build({
    entryPoints: { app: join(root, 'dashboard', 'src', 'main.ts') },
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    minify: true,
    sourcemap: true,
    outdir: out,
    logLevel: quiet ? 'error' : 'warning',
    metafile: true,
  });
  copyFileSync(join(root, 'dashboard', 'index.html'), join(out, 'index.html'));
  const bytes = Object.entries(result.metafile.outputs)
    .filter(([f]) => !f.endsWith('.map'))
    .map(([f, o]) => `${f.split('/').pop()} ${(o.bytes / 1024).toFixed(1)} KiB`);
  if (!quiet) console.log(`dashboard → dist/dashboard (${bytes.join(', ')})`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildDashboard();
