import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BINARIES, findBinary } from './packages.js';
import { freePort } from './ports.js';
import { ManagedProcess } from './process.js';
import { makeTempDir, type Teardown, TestService } from './service.js';

/**
 * A private InfluxDB (Debian package influxdb, 1.6.x: v1 HTTP API only), or INFLUX_URL when set.
 * The URL is the server's base URL; tests create their database with `CREATE DATABASE`.
 * `data`: extra lines of the `[data]` section (a limit a test needs); a private server only.
 */
export async function startInflux(t?: Teardown, data: readonly string[] = []): Promise<TestService> {
  const external = process.env.INFLUX_URL;
  let service: TestService;
  if (external && data.length === 0) {
    const u = new URL(external);
    service = new TestService('influxdb', '', Number(u.port || 8086), undefined, (port) => `${u.protocol}//${u.hostname}:${port}`);
  } else {
    const influxd = findBinary(BINARIES.influxd);
    const dir = makeTempDir('influx');
    const [httpPort, rpcPort] = [await freePort(), await freePort()];
    const config = join(dir, 'influxdb.conf');
    writeFileSync(
      config,
      [
        'reporting-disabled = true',
        `bind-address = "127.0.0.1:${rpcPort}"`,
        '[meta]',
        `  dir = "${join(dir, 'meta')}"`,
        '[data]',
        `  dir = "${join(dir, 'data')}"`,
        `  wal-dir = "${join(dir, 'wal')}"`,
        '  query-log-enabled = false',
        ...data.map((line) => `  ${line}`),
        '[http]',
        '  enabled = true',
        `  bind-address = "127.0.0.1:${httpPort}"`,
        '  log-enabled = false',
        '[monitor]',
        '  store-enabled = false',
        '[continuous_queries]',
        '  enabled = false',
        '',
      ].join('\n'),
    );
    const proc = new ManagedProcess({
      name: 'influxdb',
      command: influxd,
      args: ['run', '-config', config],
      logFile: join(dir, 'influxd.log'),
      ready: async () => (await fetch(`http://127.0.0.1:${httpPort}/ping`)).status === 204,
    });
    service = new TestService('influxdb', dir, httpPort, proc, (p) => `http://127.0.0.1:${p}`);
  }
  await service.open();
  t?.teardown(() => service.close());
  return service;
}
