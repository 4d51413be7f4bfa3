import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SvError } from '../../shared/errors.js';

/**
 * Compiles the native kit generator (kitgen.c, ADR 021) on demand into a cache directory and
 * reuses the binary while the source, flags and compiler stay the same. A missing compiler or
 * missing OpenSSL headers stop the run with an error that names the missing piece: the caller
 * must not fall back to another generator silently, since that changes the measurement.
 */
export const KITGEN_SOURCE = new URL('./kitgen.c', import.meta.url).pathname;
export const KITGEN_CFLAGS = ['-O2', '-Wall', '-Wextra', '-std=gnu11'];
export const KITGEN_LIBS = ['-lssl', '-lcrypto', '-lm'];
const HINT = 'apt-get install build-essential libssl-dev';

export function buildKitgen(o: { cacheDir?: string; cc?: string } = {}): string {
  const cc = o.cc ?? process.env.CC ?? 'cc';
  let source: Buffer;
  try {
    source = readFileSync(KITGEN_SOURCE);
  } catch {
    throw new SvError('SV_ERR_NATIVE_BUILD', `the native generator's source is missing: ${KITGEN_SOURCE}`);
  }
  const hash = createHash('sha256')
    .update(source)
    .update(JSON.stringify([cc, KITGEN_CFLAGS, KITGEN_LIBS]))
    .digest('hex')
    .slice(0, 16);
  const dir = o.cacheDir ?? defaultCacheDir();
  const bin = join(dir, `kitgen-${hash}`);
  if (existsSync(bin)) return bin;

  const probe = spawnSync(cc, ['--version'], { encoding: 'utf8' });
  if (probe.error)
    throw new SvError('SV_ERR_NATIVE_BUILD', `no C compiler: "${cc}" not found (${HINT}), or run with --client lean`, [
      `cc: ${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message}`,
    ]);
  mkdirSync(dir, { recursive: true });
  // Build beside the target and rename: concurrent runs (tap jobs, partitions) never see half a binary.
  const tmp = `${bin}.tmp-${process.pid}`;
  const r = spawnSync(cc, [...KITGEN_CFLAGS, '-o', tmp, KITGEN_SOURCE, ...KITGEN_LIBS], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    const err = `${r.stderr ?? ''}${r.error?.message ?? ''}`;
    if (/openssl\/\w+\.h/.test(err) && /No such file|not found/.test(err))
      throw new SvError('SV_ERR_NATIVE_BUILD', `the OpenSSL headers are missing (${HINT}), or run with --client lean`, [
        'openssl: headers missing',
      ]);
    if (/cannot find -l(ssl|crypto)/.test(err))
      throw new SvError('SV_ERR_NATIVE_BUILD', `the OpenSSL libraries are missing (${HINT}), or run with --client lean`, [
        'openssl: libraries missing',
      ]);
    throw new SvError('SV_ERR_NATIVE_BUILD', `kitgen.c did not compile with ${cc}:\n${err.trim().split('\n').slice(0, 20).join('\n')}`);
  }
  renameSync(tmp, bin);
  // Builds of older sources are dead weight (a run still using one keeps its open inode).
  for (const f of readdirSync(dir)) if (/^kitgen-[0-9a-f]{16}$/.test(f) && join(dir, f) !== bin) rmSync(join(dir, f), { force: true });
  return bin;
}

/** node_modules/.cache/sousvide of the package that holds this file (the usual home of tool caches). */
function defaultCacheDir(): string {
  let dir = dirname(KITGEN_SOURCE);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'node_modules', '.cache', 'sousvide');
    const up = dirname(dir);
    if (up === dir) return join(tmpdir(), 'sousvide-cache');
    dir = up;
  }
}
