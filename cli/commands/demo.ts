import { resolve } from 'node:path';
import { SvError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import type { Command, CommandContext } from '../command.js';
import { DEMO_KITS } from '../demo/kits.js';

const DEFAULTS = { dataDir: './data/demo', port: 8000, gatewayPort: 8080, mqttPort: 8883, host: '127.0.0.1', logLevel: 'warn' };

function portFlag(ctx: CommandContext, name: string, fallback: number): number {
  const v = ctx.flags[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new SvError('SV_ERR_CLI_USAGE', `--${name}: a port 0–65535`, [`--${name}: a port 0–65535`]);
  return n;
}

const str = (ctx: CommandContext, name: string, fallback: string) =>
  typeof ctx.flags[name] === 'string' ? (ctx.flags[name] as string) : fallback;

/** `sousvide demo` (= `npm start`): cloud + gateway + simulated kits until Ctrl-C (cli/demo/). */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'All-in-one demo: cloud, gateway and simulated kits in one process tree.',
  usage: 'sousvide demo [--data-dir DIR] [--port N] [--gateway-port N] [--mqtt-port N]',
  flags: [
    { flag: 'data-dir', kind: 'string', help: `Where the demo keeps its data between runs (default ${DEFAULTS.dataDir}).` },
    { flag: 'port', kind: 'string', help: `Cloud HTTP port: API and dashboard (default ${DEFAULTS.port}; 0 = any free port).` },
    { flag: 'gateway-port', kind: 'string', help: `Gateway local API and dashboard port (default ${DEFAULTS.gatewayPort}).` },
    { flag: 'mqtt-port', kind: 'string', help: `Gateway MQTT/TLS port the kits connect to (default ${DEFAULTS.mqttPort}).` },
    {
      flag: 'host',
      kind: 'string',
      help: `Address the HTTP listeners bind to (default ${DEFAULTS.host}; 0.0.0.0 to open the dashboard from a phone).`,
    },
    { flag: 'log-level', kind: 'string', help: `Log level of the cloud and gateway (default ${DEFAULTS.logLevel}).` },
  ],
  async run(ctx) {
    const { startDemo } = await import('../demo/demo.js');
    const level = str(ctx, 'log-level', DEFAULTS.logLevel);
    if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level))
      throw new SvError('SV_ERR_CLI_USAGE', '--log-level: fatal, error, warn, info, debug, trace or silent', [
        '--log-level: unknown level',
      ]);
    // With --json, stdout carries only the one JSON line; the logs go to stderr.
    const log = createLogger({ name: 'demo', level: level as 'warn', ...(ctx.json ? { destination: ctx.stderr } : {}) });
    const dataDir = resolve(str(ctx, 'data-dir', DEFAULTS.dataDir));
    const demo = await startDemo({
      dataDir,
      cloudPort: portFlag(ctx, 'port', DEFAULTS.port),
      gatewayPort: portFlag(ctx, 'gateway-port', DEFAULTS.gatewayPort),
      mqttPort: portFlag(ctx, 'mqtt-port', DEFAULTS.mqttPort),
      host: str(ctx, 'host', DEFAULTS.host),
      log,
    }).catch((err: NodeJS.ErrnoException) => {
      // The usual first-run problem (a real gateway already on 8080 or 8883) gets a clear answer.
      if (err.code !== 'EADDRINUSE') throw err;
      const m = `${err.message}: another program uses this port; choose others with --port, --gateway-port, --mqtt-port (0 = any free port)`;
      throw new SvError('SV_ERR_CLI_USAGE', m, [m]);
    });
    const info = {
      dashboard: `${demo.cloudUrl}/dashboard/`,
      login: demo.login,
      gatewayDashboard: `${demo.gatewayUrl}/dashboard/`,
      operatorToken: demo.operatorToken,
      dataDir,
      kits: DEMO_KITS.map((k) => ({ id: k.id, about: k.about })),
    };
    ctx.stdout.write(
      ctx.json
        ? `${JSON.stringify(info)}\n`
        : [
            'sous-vide demo running (Ctrl-C stops everything; data stays in the data dir)',
            '',
            `  dashboard (cloud):    ${info.dashboard}`,
            `  log in as ${info.login.email}, password (new each start, shown once): ${info.login.password}`,
            '',
            `  dashboard (gateway, works with the cloud down): ${info.gatewayDashboard}`,
            `  operator token: ${info.operatorToken}`,
            '',
            ...(['0.0.0.0', '::'].includes(str(ctx, 'host', DEFAULTS.host))
              ? ["  (listening on every interface: from a phone, use this machine's address instead of 127.0.0.1)", '']
              : []),
            `  data: ${dataDir}`,
            '  kits:',
            ...info.kits.map((k) => `    ${k.id.padEnd(12)} ${k.about}`),
            '',
          ].join('\n'),
    );
    await new Promise<void>((done) => {
      if (ctx.stopSignal.aborted) done();
      else ctx.stopSignal.addEventListener('abort', () => done(), { once: true });
    });
    ctx.stderr.write('stopping the demo (kits, gateway, cloud)…\n');
    await demo.stop();
    return 0;
  },
};
