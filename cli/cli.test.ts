import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { cloudConfig } from '../cloud/config.js';
import { gatewayConfig } from '../gateway/config.js';
import { freePort, sousvide, waitFor } from '../test/harness/index.js';

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(...sousvide(args), { encoding: 'utf8', env: { ...process.env, ...env } });

t.test('sousvide --help lists every command', async (t) => {
  const r = cli(['--help']);
  t.equal(r.status, 0);
  for (const name of ['demo', 'gateway', 'cloud', 'device', 'notify', 'loadtest', 'bench', 'chaos'])
    t.match(r.stdout, new RegExp(`^  ${name} `, 'm'));
});

t.test('<cmd> --help lists every option with its default and environment variable', async (t) => {
  for (const [cmd, def] of [
    ['gateway', gatewayConfig],
    ['cloud', cloudConfig],
  ] as const) {
    const r = cli([cmd, '--help']);
    t.equal(r.status, 0, `${cmd} --help exits 0`);
    for (const f of def.flat) {
      t.match(r.stdout, `--${f.flag}`, `${cmd}: --${f.flag}`);
      t.match(r.stdout, f.env, `${cmd}: ${f.env}`);
    }
  }
  const gw = cli(['gateway', '--help']).stdout;
  t.match(gw, /--mqtt-port <port>\s+MQTT over TLS listener port \(0 = any free port\)\. \(default: 8883\)/);
  t.match(gw, /--cloud-token <string>\s+.*\(secret; no default\)/);
});

t.test('an unknown option or a bad value exits 2 and names every bad key', async (t) => {
  const unknown = cli(['gateway', '--mqtt-prot', '1']);
  t.equal(unknown.status, 2);
  t.match(unknown.stderr, /--mqtt-prot: unknown option/);

  const bad = cli(['gateway', '--mqtt-port', 'eighty', '--http-port=99999'], { SV_GATEWAY_LOG_LEVEL: 'loud' });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /mqtt\.port: /);
  t.match(bad.stderr, /http\.port: /);
  t.match(bad.stderr, /log\.level: /);

  const json = cli(['cloud', '--port', 'x', '--json']);
  t.equal(json.status, 2);
  const body = JSON.parse(json.stderr) as { error: { code: string; details: string[] } };
  t.equal(body.error.code, 'SV_ERR_CONFIG_INVALID');
  t.ok(body.error.details.some((d) => d.startsWith('port: ')));

  const unknownCommand = cli(['brew']);
  t.equal(unknownCommand.status, 2);
  t.match(unknownCommand.stderr, /unknown command "brew"/);
});

t.test('an output path that cannot be written is refused before the run, in one line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-outpaths-'));
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const cases: [string[], string][] = [
    [
      ['loadtest', '--connections', '1', '--out-dir', join(file, 'runs')],
      `sousvide loadtest: --out-dir ${join(file, 'runs')}: a part of its path is a file, not a directory (ENOTDIR)\n`,
    ],
    [
      ['loadtest', '--connections', '1', '--out-dir', join(dir, 'runs'), '--results', join(dir, 'none', 'r.md')],
      `sousvide loadtest: --results ${join(dir, 'none', 'r.md')}: its directory ${join(dir, 'none')} does not exist\n`,
    ],
    [
      ['bench', 'ingest', '--kits', '1', '--report', join(dir, 'none', 'b.md')],
      `sousvide bench ingest: --report ${join(dir, 'none', 'b.md')}: its directory ${join(dir, 'none')} does not exist\n`,
    ],
    [['bench', 'cloud', '--report', dir], `sousvide bench cloud: --report ${dir}: is a directory, not a file\n`],
    [
      ['chaos', 'all', '--report', join(dir, 'none', 'c.md')],
      `sousvide chaos: --report ${join(dir, 'none', 'c.md')}: its directory ${join(dir, 'none')} does not exist\n`,
    ],
  ];
  for (const [args, line] of cases) {
    const r = cli(args);
    t.equal(r.status, 2, args.join(' '));
    t.equal(r.stderr, line);
    t.equal(r.stdout, '', 'nothing ran');
  }
});

t.test('sousvide gateway starts, answers /healthz, and stops cleanly on SIGTERM', async (t) => {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-cli-gw-'));
  const child = spawn(...sousvide(['gateway', '--http-port', String(port), '--mqtt-port', '0', '--data-dir', dataDir]), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => child.kill('SIGKILL'));
  const health = await waitFor('gateway /healthz', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    return res.status === 200 ? ((await res.json()) as { status: string }) : undefined;
  });
  t.equal(health.status, 'ok');
  child.kill('SIGTERM');
  t.equal(await exited, 0, `exit code 0 after SIGTERM; output:\n${output}`);
  t.match(output, /"msg":"gateway stopped"/, 'logged its stop (JSON logs when not a terminal)');
});
