import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { choiceOption } from '../../shared/config/options.js';
import { canConnect } from './mosquitto.js';

/** `--tls-terminator` of `bench ingest` and `loadtest`: who holds the kits' TLS. */
export const tlsTerminatorOption = choiceOption(['none', 'haproxy'], 'none or haproxy', {
  default: 'none',
  help: "haproxy: the kits connect through HAProxy terminating TLS in front of the gateway's mqtt.proxyPort (ADR 065); its processes' RSS and CPU count as the gateway's.",
});
export type TlsTerminatorKind = 'none' | 'haproxy';

/** Kits one HAProxy process holds: two descriptors a kit (the kit's and the gateway's side) under a 20,000 open-files limit. */
export const KITS_PER_TERMINATOR = 6000;

/**
 * HAProxy as the TLS terminator in front of the gateway (docs/deploy-gateway.md, "TLS offload"):
 * it holds the kits' TLS and hands each connection to the gateway's `mqtt.proxyPort` with a
 * PROXY protocol v2 header. The settings are the deployment guide's, on a private port.
 */
export function terminatorConfig(o: { port: number; host: string; backendPort: number; pemFile: string; maxconn: number }): string {
  return [
    'global',
    `  maxconn ${o.maxconn}`,
    '  nbthread 1',
    '  ssl-default-bind-options ssl-min-ver TLSv1.2',
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 180s', // longer than a kit's keep-alive (docs/protocol.md)
    '  timeout server 180s',
    'frontend kits',
    `  bind ${o.host}:${o.port} ssl crt ${o.pemFile}`,
    `  maxconn ${o.maxconn}`,
    '  default_backend gateway',
    'backend gateway',
    `  server gateway 127.0.0.1:${o.backendPort} send-proxy-v2 maxconn ${o.maxconn}`,
    '',
  ].join('\n');
}

export interface TlsTerminator {
  /** Where the kits connect. */
  port: number;
  pids: number[];
  stop(): Promise<void>;
}

/**
 * Starts `processes` HAProxy processes on one port (the kernel spreads connections over them
 * with SO_REUSEPORT, HAProxy's default), each with the server certificate and key in one PEM.
 */
export async function startTlsTerminator(o: {
  bin?: string;
  dir: string;
  port: number;
  backendPort: number;
  certFile: string;
  keyFile: string;
  kits: number;
}): Promise<TlsTerminator> {
  const bin = o.bin ?? ['/usr/sbin/haproxy', 'haproxy'].find((b) => spawnSync(b, ['-v']).error === undefined);
  if (!bin) throw new Error('haproxy not found: install the Debian package "haproxy"');
  const pemFile = join(o.dir, 'terminator.pem');
  writeFileSync(pemFile, readFileSync(o.certFile, 'utf8') + readFileSync(o.keyFile, 'utf8'), { mode: 0o600 });
  const processes = Math.max(1, Math.ceil(o.kits / KITS_PER_TERMINATOR));
  const maxconn = Math.ceil(o.kits / processes) + 1000; // SO_REUSEPORT's spread is uneven by a few percent
  const conf = join(o.dir, 'terminator.cfg');
  writeFileSync(conf, terminatorConfig({ port: o.port, host: '127.0.0.1', backendPort: o.backendPort, pemFile, maxconn }), { mode: 0o600 });
  const log = openSync(join(o.dir, 'terminator.log'), 'a');
  const children: ChildProcess[] = Array.from({ length: processes }, () =>
    spawn(bin, ['-db', '-f', conf], { stdio: ['ignore', log, log] }),
  );
  const exited = children.map((c) => new Promise<void>((resolve) => c.on('exit', () => resolve())));
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(o.port))) {
    if (children.some((c) => c.exitCode !== null) || Date.now() > deadline) {
      for (const c of children) c.kill('SIGKILL');
      throw new Error(`haproxy did not start; see ${join(o.dir, 'terminator.log')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port: o.port,
    pids: children.map((c) => c.pid as number),
    async stop() {
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(exited);
    },
  };
}
