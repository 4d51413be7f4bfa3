import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILT = join(ROOT, 'dist/cli/main.js');
/** Rewritten by every build that changed anything (tsc leaves an output whose text did not change as it was). */
const BUILD_STAMP = join(ROOT, 'dist/.tsbuildinfo');
const SOURCE = join(ROOT, 'cli/main.ts');
/** What `npm run build` compiles into dist/ (tsconfig.build.json's include). */
const SOURCE_DIRS = ['shared', 'gateway', 'cloud', 'cli', 'loadtest'];

const isCompiled = (name: string) =>
  name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.bench.ts') && !name.endsWith('.d.ts');

/** The newest modification time of a compiled source file under `dir` (ms). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'web') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (isCompiled(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function builtIsCurrent(): boolean {
  let built: number;
  try {
    statSync(BUILT);
    built = statSync(BUILD_STAMP).mtimeMs;
  } catch {
    return false;
  }
  return SOURCE_DIRS.every((d) => newestSource(join(ROOT, d)) <= built);
}

let args: string[] | undefined;

/**
 * The node arguments that run the `sousvide` CLI: the build (`dist/cli/main.js`, what `npm ci`
 * makes and what users run) when it is newer than every source file it is compiled from, else the
 * sources through tsx (a checkout edited since its last build). tsx goes by its resolved URL, so
 * that the CLI runs from any working directory.
 */
function cliArgs(): string[] {
  args ??= builtIsCurrent() ? [BUILT] : ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, SOURCE];
  return args;
}

/**
 * The command and arguments that run `sousvide <args>` in a test's child process:
 * `spawn(...sousvide(['device', 'list']), options)`. Tests start the CLI a few hundred times, so
 * two things are left out of each start:
 * - tsx's compile, when the build is current (above);
 * - tap's process tracking, which tap adds to every child's NODE_OPTIONS, through its own wrapper
 *   of child_process, and which watches every module a process loads: it doubled the CLI's
 *   start-up (0.65 s to 1.2-1.4 s here). It serves coverage, which this project's tap config turns
 *   off. `env -u NODE_OPTIONS` drops it after the wrapper and execs node, so the child keeps the pid
 *   (signals reach the CLI itself).
 */
export function sousvide(cliArguments: readonly string[]): [string, string[]] {
  return ['env', ['-u', 'NODE_OPTIONS', process.execPath, ...cliArgs(), ...cliArguments]];
}
