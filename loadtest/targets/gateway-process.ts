import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { nodeArgsFrom } from './node-args.js';

/** A gateway run as its own process for benchmarks and load tests (as in production). */
export interface GatewayProcess {
  child: ChildProcess;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export async function startGatewayProcess(opts: {
  dataDir: string;
  mqttPort: number;
  httpPort: number;
  extraArgs?: string[];
  logFile: string;
  /** Another build's `cli/main.js` (a before/after pair in one benchmark run); default this build's. */
  main?: string;
}): Promise<GatewayProcess> {
  const fromSource = opts.main === undefined && import.meta.url.endsWith('.ts');
  const main = opts.main ?? new URL(`../../cli/main${fromSource ? '.ts' : '.js'}`, import.meta.url).pathname;
  const log = openSync(opts.logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      ...nodeArgsFrom('SV_BENCH_GATEWAY_NODE_ARGS'),
      ...(fromSource ? ['--import', 'tsx'] : []),
      main,
      'gateway',
      '--data-dir',
      opts.dataDir,
      '--mqtt-port',
      String(opts.mqttPort),
      '--mqtt-host',
      '127.0.0.1',
      '--http-port',
      String(opts.httpPort),
      ...(opts.extraArgs ?? []),
    ],
    { stdio: ['ignore', log, log] },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const base = `http://127.0.0.1:${opts.httpPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited during start-up; see ${opts.logFile}`);
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`gateway not healthy after 60 s; see ${opts.logFile}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    child,
    metrics: () => fetch(`${base}/metrics`).then((r) => r.text()),
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export const gatewayLogFile = (dir: string, name: string) => join(dir, `${name}.log`);
