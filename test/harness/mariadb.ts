import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { BINARIES, findBinary } from './packages.js';
import { onFreePort } from './ports.js';
import { ManagedProcess } from './process.js';
import { makeTempDir, type Teardown, TestService } from './service.js';

/**
 * A private MariaDB server (Debian package mariadb-server), or MYSQL_URL when set.
 * The system tables are created once per machine into a template directory and copied for each
 * instance, so a test file pays a server start, not an install.
 * The URL names user `sv` (password `sv`) and database `sousvide_test`.
 */
export async function startMariaDb(t?: Teardown): Promise<TestService> {
  const external = process.env.MYSQL_URL;
  let service: TestService;
  if (external) {
    const u = new URL(external);
    service = new TestService('mariadb', '', Number(u.port || 3306), undefined, (port) => {
      const copy = new URL(external);
      copy.port = String(port);
      return copy.toString();
    });
  } else {
    const mariadbd = findBinary(BINARIES.mariadbd);
    const template = ensureTemplate();
    const dir = makeTempDir('mariadb');
    const socket = join(dir, 'mysqld.sock');
    service = await onFreePort(async (port) => {
      const dataDir = join(dir, `data-${port}`);
      cpSync(template, dataDir, { recursive: true });
      const proc = new ManagedProcess({
        name: 'mariadb',
        command: mariadbd,
        args: [
          '--no-defaults',
          `--datadir=${dataDir}`,
          `--port=${port}`,
          '--bind-address=127.0.0.1',
          `--socket=${socket}`,
          `--pid-file=${join(dir, 'mysqld.pid')}`,
          '--user=root',
          '--skip-log-bin',
          '--innodb-buffer-pool-size=32M',
          '--innodb-log-file-size=16M',
          '--skip-name-resolve',
          '--max-connections=500',
        ],
        logFile: join(dir, `mariadb-${port}.log`),
        ready: () => canConnect(socket),
      });
      await proc.start();
      return new TestService('mariadb', dir, port, proc, (p) => `mysql://sv:sv@127.0.0.1:${p}/sousvide_test`);
    });
    await provision(socket);
  }
  await service.open();
  t?.teardown(() => service.close());
  return service;
}

function ensureTemplate(): string {
  const installDb = findBinary(BINARIES.mariadbInstallDb);
  const version = execFileSync(findBinary(BINARIES.mariadbd), ['--version'], { encoding: 'utf8' }).replace(/\W+/g, '_').slice(0, 60);
  const root = join(tmpdir(), 'sousvide-harness-cache');
  const template = join(root, `mariadb-template-${version}`);
  if (existsSync(join(template, 'mysql'))) return template;
  mkdirSync(root, { recursive: true });
  // Build in a private dir and rename: parallel test files never see a half-made template.
  const building = `${template}.${process.pid}.tmp`;
  rmSync(building, { recursive: true, force: true });
  execFileSync(
    installDb,
    ['--no-defaults', `--datadir=${building}`, '--user=root', '--auth-root-authentication-method=socket', '--skip-test-db'],
    {
      stdio: 'pipe',
    },
  );
  try {
    renameSync(building, template);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another process won the race
  }
  return template;
}

async function canConnect(socketPath: string): Promise<boolean> {
  const conn = await mysql.createConnection({ socketPath, user: 'root' });
  await conn.end();
  return true;
}

async function provision(socketPath: string): Promise<void> {
  const conn = await mysql.createConnection({ socketPath, user: 'root', multipleStatements: true });
  await conn.query(
    "CREATE DATABASE IF NOT EXISTS sousvide_test; CREATE USER IF NOT EXISTS 'sv'@'%' IDENTIFIED BY 'sv'; GRANT ALL ON *.* TO 'sv'@'%'; FLUSH PRIVILEGES;",
  );
  await conn.end();
}
