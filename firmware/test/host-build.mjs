// Builds the host test binary of the firmware core with the machine's g++ (shared by
// scripts/test-firmware.mjs and firmware/test/contract.test.ts). No ESP32 toolchain needed:
// firmware/core is plain C++17 without Arduino headers.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const firmwareDir = dirname(dirname(fileURLToPath(import.meta.url)));
const outDir = join(firmwareDir, 'build', 'host');
const WARN = ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-pedantic', '-Wshadow'];
const SAN = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];

function sources() {
  const list = [];
  for (const dir of ['core', 'test']) {
    for (const f of readdirSync(join(firmwareDir, dir))) {
      if (/\.(cpp|h)$/.test(f)) list.push(join(firmwareDir, dir, f));
    }
  }
  return list;
}

/** True when g++ can build and run a sanitized program here (it can on node-svc machines). */
function sanitizersWork(cxx) {
  mkdirSync(outDir, { recursive: true });
  const src = join(outDir, `probe-${process.pid}.cpp`); // per process: builds may run at once
  const bin = join(outDir, `probe-${process.pid}`);
  writeFileSync(src, 'int main() { return 0; }\n');
  const built = spawnSync(cxx, [...SAN, src, '-o', bin], { stdio: 'ignore' });
  const works = built.status === 0 && spawnSync(bin, [], { stdio: 'ignore' }).status === 0;
  rmSync(src, { force: true });
  rmSync(bin, { force: true });
  return works;
}

/**
 * Compiles firmware/core + firmware/test into firmware/build/host/host-tests (git-ignored).
 * Throws when g++ is missing or the build fails: a missing compiler is a failure, not a skip.
 * @returns {{ binary: string, flags: string[], sanitized: boolean, rebuilt: boolean }}
 */
export function buildHostTests({ cxx = process.env.CXX || 'g++' } = {}) {
  const version = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new Error(`${cxx} not found: the firmware host tests need a C++17 compiler (${version.error?.message ?? version.stderr})`);
  }
  const sanitized = sanitizersWork(cxx);
  const flags = [...WARN, '-O1', '-g', ...(sanitized ? SAN : [])];
  const binary = join(outDir, sanitized ? 'host-tests-san' : 'host-tests');
  const srcs = sources();
  const newest = Math.max(...srcs.map((f) => statSync(f).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);
  let rebuilt = false;
  let fresh = false;
  try {
    fresh = statSync(binary).mtimeMs > newest;
  } catch {
    fresh = false;
  }
  if (!fresh) {
    // Build to a private name, then rename: two test processes may build at once.
    const tmp = `${binary}.${process.pid}.tmp`;
    const cpp = srcs.filter((f) => f.endsWith('.cpp'));
    execFileSync(cxx, [...flags, ...cpp, '-o', tmp], { stdio: ['ignore', 'inherit', 'inherit'] });
    renameSync(tmp, binary);
    rebuilt = true;
  }
  return { binary, flags, sanitized, rebuilt };
}

/** Environment for running the binary: sanitizer reports fail the run. */
export const runEnv = {
  ...process.env,
  ASAN_OPTIONS: 'abort_on_error=1:detect_leaks=1',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};

/** Parses the runner's summary line: `# summary tests=N passed=N failed=N checks=N`. */
export function parseSummary(output) {
  const m = /^# summary tests=(\d+) passed=(\d+) failed=(\d+) checks=(\d+)$/m.exec(output);
  if (!m) return null;
  const [tests, passed, failed, checks] = m.slice(1).map(Number);
  return { tests, passed, failed, checks };
}

/**
 * Type-checks the Arduino glue (src/*.cpp) against declaration-only stand-ins of the
 * Arduino-ESP32 and library APIs (test/arduino-stubs). It catches typos and type errors in
 * the glue; it does not prove the real libraries match (only a PlatformIO build can).
 * @returns {{ file: string, ok: boolean, output: string }[]}
 */
export function checkGlue({ cxx = process.env.CXX || 'g++' } = {}) {
  const inc = ['test/arduino-stubs', 'core', 'src'].flatMap((d) => ['-I', join(firmwareDir, d)]);
  return readdirSync(join(firmwareDir, 'src'))
    .filter((f) => f.endsWith('.cpp'))
    .map((f) => {
      const r = spawnSync(cxx, ['-std=gnu++17', '-fsyntax-only', ...WARN.slice(1), ...inc, join(firmwareDir, 'src', f)], {
        encoding: 'utf8',
      });
      return { file: `src/${f}`, ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}` };
    });
}
