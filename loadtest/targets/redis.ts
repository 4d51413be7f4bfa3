import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { canConnect } from './mosquitto.js';

/**
 * A private redis-server (Debian package) for a benchmark run: the broker nodes of a gateway with
 * `mqtt.nodes` > 1 route through it. No persistence: it carries routing only, nothing to keep.
 */
export async function startRedisServer(opts: {
  dir: string;
  port: number;
}): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const bin = ['/usr/bin/redis-server', 'redis-server'].find((b) => spawnSync(b, ['--version']).error === undefined);
  if (!bin) throw new Error('redis-server not found: install the Debian package "redis-server"');
  const log = openSync(join(opts.dir, 'redis.log'), 'a');
  const args = ['--port', String(opts.port), '--bind', '127.0.0.1', '--dir', opts.dir, '--save', '', '--appendonly', 'no'];
  const child = spawn(bin, args, { stdio: ['ignore', log, log] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(opts.port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start; see ${join(opts.dir, 'redis.log')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `redis://127.0.0.1:${opts.port}/0`,
    child,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
