import { connect } from 'node:net';
import { join } from 'node:path';
import { BINARIES, findBinary } from './packages.js';
import { onFreePort } from './ports.js';
import { ManagedProcess } from './process.js';
import { makeTempDir, type Teardown, TestService } from './service.js';

/** A private redis-server (Debian package redis-server), or REDIS_URL when set. */
export async function startRedis(t?: Teardown): Promise<TestService> {
  const external = process.env.REDIS_URL;
  let service: TestService;
  if (external) {
    const u = new URL(external);
    service = new TestService('redis', '', Number(u.port || 6379), undefined, (port) => `redis://${u.hostname}:${port}${u.pathname}`);
  } else {
    const binary = findBinary(BINARIES.redis);
    const dir = makeTempDir('redis');
    service = await onFreePort(async (port) => {
      const proc = new ManagedProcess({
        name: 'redis',
        command: binary,
        args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
        logFile: join(dir, `redis-${port}.log`),
        ready: () => ping(port),
      });
      await proc.start(); // here, so that a port taken meanwhile is tried again (service.open() then finds it running)
      return new TestService('redis', dir, port, proc, (p) => `redis://127.0.0.1:${p}/0`);
    });
  }
  await service.open();
  t?.teardown(() => service.close());
  return service;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
  });
}
