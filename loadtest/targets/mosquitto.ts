import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

/**
 * A private Mosquitto (Debian package) as the broker-only reference: the same TLS certificate as
 * the gateway, anonymous access (a bare broker: no auth, no parsing, no storage).
 */
export async function startMosquitto(opts: {
  dir: string;
  port: number;
  certFile: string;
  keyFile: string;
}): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const bin = ['/usr/sbin/mosquitto', 'mosquitto'].find((b) => spawnSync(b, ['-h']).error === undefined);
  if (!bin) throw new Error('mosquitto not found: install the Debian package "mosquitto"');
  const conf = join(opts.dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      'user root',
      'persistence false',
      'log_dest none',
      `listener ${opts.port} 127.0.0.1`,
      'allow_anonymous true',
      'max_connections -1',
      `certfile ${opts.certFile}`,
      `keyfile ${opts.keyFile}`,
      'tls_version tlsv1.2',
      '',
    ].join('\n'),
  );
  const log = openSync(join(opts.dir, 'mosquitto.log'), 'a');
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', log, log] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(opts.port))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`mosquitto did not start; see ${join(opts.dir, 'mosquitto.log')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** True once something accepts TCP connections on 127.0.0.1:`port`. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
