import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { BINARIES, findBinary } from './packages.js';
import { onFreePort } from './ports.js';
import { ManagedProcess } from './process.js';
import { makeTempDir, type Teardown, TestService } from './service.js';

export interface MosquittoOptions {
  /** Users and passwords; set = anonymous access off (like Home Assistant's Mosquitto add-on). */
  users?: Record<string, string>;
}

/**
 * A private Mosquitto (Debian package mosquitto) on a free port in a temp dir, plain MQTT on
 * 127.0.0.1, no persistence (a restart loses retained messages, as a broker without a
 * persistence file does). `url` goes through the fault proxy.
 */
export async function startMosquitto(t?: Teardown, opts: MosquittoOptions = {}): Promise<TestService> {
  const binary = findBinary(BINARIES.mosquitto);
  const dir = makeTempDir('mosquitto');
  const service = await onFreePort(async (port) => {
    const conf = [
      ...(process.getuid?.() === 0 ? ['user root'] : []), // as root it would switch to the mosquitto user, who cannot read this temp dir
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      `listener ${port} 127.0.0.1`,
    ];
    if (opts.users) {
      const passwd = join(dir, `passwd-${port}`);
      writeFileSync(passwd, '', { mode: 0o600 });
      const tool = findBinary({ binary: 'mosquitto_passwd', candidates: ['/usr/bin/mosquitto_passwd'], aptPackage: 'mosquitto' });
      for (const [user, password] of Object.entries(opts.users)) execFileSync(tool, ['-b', passwd, user, password], { stdio: 'pipe' });
      conf.push('allow_anonymous false', `password_file ${passwd}`);
    } else {
      conf.push('allow_anonymous true');
    }
    const confFile = join(dir, `mosquitto-${port}.conf`);
    writeFileSync(confFile, `${conf.join('\n')}\n`, { mode: 0o600 });
    const proc = new ManagedProcess({
      name: 'mosquitto',
      command: binary,
      args: ['-c', confFile],
      logFile: join(dir, `mosquitto-${port}.log`),
      ready: () => canConnect(port),
      readyTimeoutMs: 15_000,
    });
    await proc.start(); // here, so that a port taken meanwhile is tried again
    return new TestService('mosquitto', dir, port, proc, (p) => `mqtt://127.0.0.1:${p}`);
  });
  await service.open();
  t?.teardown(() => service.close());
  return service;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
