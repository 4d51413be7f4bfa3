import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SvError } from '../../shared/errors.js';

/**
 * Finds a service binary from Debian's packages. When it is missing and we run as root, the
 * package is installed once with apt-get (quietly; a lock keeps parallel test files from running
 * apt twice). Otherwise the error names the package to install, or the URL variable to set.
 */
export interface BinarySpec {
  binary: string;
  /** Where Debian installs it when it is not on PATH (e.g. /usr/sbin). */
  candidates: string[];
  aptPackage: string;
  /** e.g. REDIS_URL: point the tests at an existing server instead. */
  urlEnv?: string;
}

export function findBinary(spec: BinarySpec): string {
  const found = locate(spec);
  if (found) return found;
  if (process.getuid?.() === 0 && spawnSync('which', ['apt-get']).status === 0) {
    withLock(() => {
      if (!locate(spec)) aptInstall(spec.aptPackage);
    });
    const after = locate(spec);
    if (after) return after;
  }
  const hint = spec.urlEnv ? `, or set ${spec.urlEnv} to an existing server` : '';
  throw new SvError(
    'SV_ERR_HARNESS_BINARY_MISSING',
    `${spec.binary} not found: install the Debian package "${spec.aptPackage}" (apt-get install ${spec.aptPackage})${hint}`,
  );
}

function locate(spec: BinarySpec): string | undefined {
  for (const path of spec.candidates) if (existsSync(path)) return path;
  const which = spawnSync('which', [spec.binary], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

function aptInstall(pkg: string): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', pkg], { env, stdio: 'pipe' });
  try {
    install();
  } catch {
    execFileSync('apt-get', ['update', '-q'], { env, stdio: 'pipe' });
    install();
  }
}

function withLock(fn: () => void): void {
  const lock = join(tmpdir(), 'sousvide-harness-apt.lock');
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`apt lock ${lock} held for 10 minutes; remove it if stale`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export const BINARIES = {
  redis: { binary: 'redis-server', candidates: ['/usr/bin/redis-server'], aptPackage: 'redis-server', urlEnv: 'REDIS_URL' },
  mariadbd: {
    binary: 'mariadbd',
    candidates: ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'],
    aptPackage: 'mariadb-server',
    urlEnv: 'MYSQL_URL',
  },
  mariadbInstallDb: {
    binary: 'mariadb-install-db',
    candidates: ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'],
    aptPackage: 'mariadb-server',
    urlEnv: 'MYSQL_URL',
  },
  influxd: { binary: 'influxd', candidates: ['/usr/bin/influxd'], aptPackage: 'influxdb', urlEnv: 'INFLUX_URL' },
  mosquitto: { binary: 'mosquitto', candidates: ['/usr/sbin/mosquitto'], aptPackage: 'mosquitto' },
  haproxy: { binary: 'haproxy', candidates: ['/usr/sbin/haproxy'], aptPackage: 'haproxy' },
  chromium: { binary: 'chromium', candidates: ['/usr/bin/chromium'], aptPackage: 'chromium' },
} satisfies Record<string, BinarySpec>;
