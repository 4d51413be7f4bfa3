import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { freePort } from '../../shared/net/free-port.js';
import { nodeArgsFrom } from '../targets/node-args.js';

/**
 * The real processes of a chaos run: clouds (`sousvide cloud`) and the gateway
 * (`sousvide gateway`), each a child process that can be stopped, restarted or kill -9'd.
 */
const fromSource = import.meta.url.endsWith('.ts');
const main = new URL(`../../cli/main${fromSource ? '.ts' : '.js'}`, import.meta.url).pathname;

export class ServiceProcess {
  child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  port = 0;
  /** How the last stop() ended: the process exited by itself, or had to be killed after the grace time. */
  lastStop: 'exited' | 'killed' | undefined;

  constructor(
    readonly name: string,
    private readonly args: (port: number) => string[],
    private readonly logFile: string,
    private readonly healthUrl: (port: number) => string,
    /** Node flags for the child, e.g. `--cpu-prof` (SV_BENCH_CLOUD_NODE_ARGS, SV_BENCH_GATEWAY_NODE_ARGS). */
    private readonly nodeArgs: readonly string[] = [],
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts (on the same port as before, if it ran already) and waits until it answers its health check. */
  async start(timeoutMs = 90_000): Promise<void> {
    if (this.running) return;
    this.port ||= await freePort();
    const fd = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [...this.nodeArgs, ...(fromSource ? ['--import', 'tsx'] : []), main, ...this.args(this.port)], {
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited during start-up; see ${this.logFile}`);
      const ok = await fetch(this.healthUrl(this.port), { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`${this.name} not healthy after ${timeoutMs} ms; see ${this.logFile}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** kill -9: no shutdown code runs (a power cut, an OOM kill). */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (the process's own orderly stop), escalating to SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGTERM');
    this.lastStop = 'exited';
    const t = setTimeout(() => {
      this.lastStop = 'killed';
      this.child?.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

export interface CloudSpec {
  dataDir: string;
  influxUrl: string;
  influxDb: string;
  redisUrl: string;
  redisPrefix: string;
  mysqlUrl: string;
  extraArgs: string[];
  logFile: string;
}

export function cloudProcess(name: string, s: CloudSpec): ServiceProcess {
  return new ServiceProcess(
    name,
    (port) => [
      'cloud',
      ...['--port', String(port), '--host', '127.0.0.1', '--data-dir', s.dataDir, '--log-level', 'warn'],
      ...['--influx-url', s.influxUrl, '--influx-db', s.influxDb, '--redis-url', s.redisUrl, '--redis-key-prefix', s.redisPrefix],
      ...['--mysql-url', s.mysqlUrl, ...s.extraArgs],
    ],
    s.logFile,
    (port) => `http://127.0.0.1:${port}/healthz`,
    nodeArgsFrom('SV_BENCH_CLOUD_NODE_ARGS'),
  );
}

export interface GatewaySpec {
  dataDir: string;
  mqttPort: number;
  cloudUrl: string;
  cloudToken: string;
  extraArgs: string[];
  logFile: string;
}

export function gatewayProcess(s: GatewaySpec): ServiceProcess {
  return new ServiceProcess(
    'gateway',
    (port) => [
      'gateway',
      ...['--data-dir', s.dataDir, '--mqtt-port', String(s.mqttPort), '--mqtt-host', '127.0.0.1', '--http-port', String(port)],
      ...['--log-level', 'warn', '--cloud-url', s.cloudUrl, '--cloud-token', s.cloudToken, ...s.extraArgs],
    ],
    s.logFile,
    (port) => `http://127.0.0.1:${port}/healthz`,
    nodeArgsFrom('SV_BENCH_GATEWAY_NODE_ARGS'),
  );
}
