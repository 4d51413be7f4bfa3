import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ensurePki } from '../gateway/tls/pki.js';
import { freePort, sousvide, waitFor } from '../test/harness/index.js';

/** Operator mistakes around starting a gateway: each gets one line and exit 2, and nothing is created by mistake. */
const cli = (args: string[], cwd?: string) => spawnSync(...sousvide(args), { encoding: 'utf8', cwd, timeout: 60_000 });

function startGateway(args: string[]) {
  const child = spawn(...sousvide(['gateway', '--log-level', 'warn', ...args]), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => ({ stdout, stderr }) };
}

t.test('a second gateway on a data dir in use is refused with the dir and the holder pid; device commands keep working', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-lock-'));
  const [http1, http2] = [await freePort(), await freePort()];
  const first = startGateway(['--data-dir', dataDir, '--http-port', String(http1), '--mqtt-port', '0']);
  t.teardown(() => first.child.kill('SIGKILL'));
  await waitFor('first gateway', async () => ((await fetch(`http://127.0.0.1:${http1}/healthz`)).ok ? true : undefined));
  const second = startGateway(['--data-dir', dataDir, '--http-port', String(http2), '--mqtt-port', '0']);
  t.teardown(() => second.child.kill('SIGKILL'));
  t.equal(await second.exited, 2, 'exit 2');
  const lines = second.out().stderr.trim().split('\n');
  t.same(
    lines,
    [`sousvide gateway: data dir ${dataDir} is in use by another gateway (pid ${first.child.pid})`],
    'one line naming the dir and the pid',
  );
  const added = cli(['device', 'add', 'kit-1', '--data-dir', dataDir, '--json']);
  t.equal(added.status, 0, `device add works while the gateway runs: ${added.stderr}`);
  const info = JSON.parse(readFileSync(join(dataDir, 'gateway.json'), 'utf8')) as { mqttUrl: string };
  t.equal((JSON.parse(added.stdout) as { mqttUrl: string }).mqttUrl, info.mqttUrl, 'device add prints the URL the gateway announced');
  t.match(info.mqttUrl, /^mqtts:\/\/[^:]+:\d+$/);
  t.not(info.mqttUrl.endsWith(':8883'), true, 'the real port (configured as 0), not the default');
  t.equal(cli(['device', 'revoke', 'kit-1', '--data-dir', dataDir]).status, 0, 'revoke works while the gateway runs');
  t.equal(statSync(dataDir).mode & 0o777, 0o700, 'the data dir is private');
  t.equal(statSync(join(dataDir, 'gateway.sqlite')).mode & 0o777, 0o600, 'the store is private');
  // The lock dies with its holder, however it dies.
  first.child.kill('SIGKILL');
  await first.exited;
  const third = startGateway(['--data-dir', dataDir, '--http-port', String(http2), '--mqtt-port', '0']);
  t.teardown(() => third.child.kill('SIGKILL'));
  await waitFor('gateway after a kill -9 of the holder', async () =>
    (await fetch(`http://127.0.0.1:${http2}/healthz`)).ok ? true : undefined,
  );
  third.child.kill('SIGTERM');
  t.equal(await third.exited, 0);
});

t.test('a taken port: one line naming the key and the cause, exit 2, and the process ends', async (t) => {
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '0.0.0.0', r));
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-port-'));
  const gw = startGateway(['--data-dir', dataDir, '--mqtt-port', String(port), '--http-port', '0']);
  t.teardown(() => gw.child.kill('SIGKILL'));
  t.equal(await gw.exited, 2, 'exit 2 (no hang: the process ends by itself)');
  t.same(gw.out().stderr.trim().split('\n'), [
    `sousvide gateway: mqtt.port: port ${port} on 0.0.0.0 is in use by another program (EADDRINUSE)`,
  ]);
  t.notMatch(gw.out().stdout + gw.out().stderr, /\n\s+at /, 'no stack trace');
  const http = startGateway(['--data-dir', dataDir, '--mqtt-port', '0', '--http-port', String(port)]);
  t.teardown(() => http.child.kill('SIGKILL'));
  t.equal(await http.exited, 2);
  t.match(http.out().stderr, /^sousvide gateway: http\.port: port \d+ .*in use by another program \(EADDRINUSE\)\n$/);
});

t.test('a data dir that cannot be one: one line naming the dir and the reason, no stack trace, the file untouched', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'sv-baddir-'));
  const file = join(root, 'not-a-dir');
  writeFileSync(file, 'keep me\n', { mode: 0o644 });
  for (const [dataDir, reason] of [
    [file, 'it, or a part of its path, is a file, not a directory (EEXIST)'],
    [join(file, 'below'), 'a part of its path is a file, not a directory (ENOTDIR)'],
  ] as const) {
    const gw = startGateway(['--data-dir', dataDir, '--mqtt-port', '0', '--http-port', '0']);
    t.teardown(() => gw.child.kill('SIGKILL'));
    t.equal(await gw.exited, 2, 'exit 2');
    t.same(gw.out().stderr.trim().split('\n'), [`sousvide gateway: data dir ${dataDir}: ${reason}`]);
    t.notMatch(gw.out().stdout + gw.out().stderr, /\n\s+at |"stack"/, 'no stack trace, in the log either');
  }
  t.equal(readFileSync(file, 'utf8'), 'keep me\n', 'the file is unchanged');
  t.equal(statSync(file).mode & 0o777, 0o644, 'and its mode too');
  const cloud = cli(['cloud', '--data-dir', file, '--port', '0']);
  t.equal(cloud.status, 2);
  t.equal(cloud.stderr, `sousvide cloud: data dir ${file}: it, or a part of its path, is a file, not a directory (EEXIST)\n`);
});

t.test('a data dir the file system refuses (/proc): one line and exit 2, promptly, not a hang at full CPU', async (t) => {
  const reason = 'cannot create it: the file system there does not allow new directories';
  // Node 20's recursive mkdir never returns for these; a regression is killed at the timeout and fails.
  const run = (args: string[]) => spawnSync(...sousvide(args), { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
  const cases = [
    [['gateway', '--log-level', 'warn', '--data-dir', '/proc/sv-nope', '--http-port', '0', '--mqtt-port', '0'], 'gateway', '(ENOENT)'],
    [['device', 'add', 'kit-z9', '--init', '--data-dir', '/proc/sv-audit'], 'device add', '(ENOENT)'],
    [['device', 'add', 'kit-z9', '--init', '--data-dir', '/proc/sv-audit/below'], 'device add', '(ENOENT at /proc/sv-audit)'],
    [['cloud', '--data-dir', '/proc/sv-nope', '--port', '0'], 'cloud', '(ENOENT)'],
  ] as const;
  for (const [args, command, code] of cases) {
    const r = run([...args]);
    const dataDir = args[args.indexOf('--data-dir') + 1];
    t.equal(r.signal, null, `${command} ${dataDir}: ends by itself`);
    t.equal(r.status, 2, 'exit 2');
    t.equal(r.stderr, `sousvide ${command}: data dir ${dataDir}: ${reason} ${code}\n`, 'one line naming the dir and the reason');
    t.notMatch(r.stdout + r.stderr, /\n\s+at |"stack"/, 'no stack trace');
  }
});

t.test('TLS files and listen addresses that cannot work: lines naming the key and the reason, exit 2, nothing made', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'sv-tlsfiles-'));
  const { pki: a } = ensurePki(join(root, 'a'));
  const { pki: b } = ensurePki(join(root, 'b'));
  const dataDir = join(root, 'data');
  const gw = startGateway([
    '--data-dir',
    dataDir,
    '--mqtt-port',
    '0',
    '--http-port',
    '0',
    '--mqtt-tls-cert',
    a.serverCertFile,
    '--mqtt-tls-key',
    b.serverKeyFile,
    '--relay-tls-ca-file',
    a.serverKeyFile,
  ]);
  t.teardown(() => gw.child.kill('SIGKILL'));
  t.equal(await gw.exited, 2);
  t.equal(
    gw.out().stderr,
    [
      'sousvide gateway: invalid gateway config:',
      `  relay.tlsCaFile: ${a.serverKeyFile}: holds a private key, not a certificate`,
      `  mqtt.tlsKey: ${b.serverKeyFile}: is not the private key of the certificate in mqtt.tlsCert`,
      '',
    ].join('\n'),
  );
  t.notOk(existsSync(dataDir), 'checked before anything is made: no data dir');
  const host = startGateway(['--data-dir', dataDir, '--mqtt-port', '0', '--http-port', '0', '--http-host', 'no-such-host.invalid']);
  t.teardown(() => host.child.kill('SIGKILL'));
  t.equal(await host.exited, 2);
  t.match(
    host.out().stderr,
    /^sousvide gateway: http\.host: no-such-host\.invalid is not a name or address this machine can listen on \((ENOTFOUND|EAI_AGAIN)\)\n$/,
  );
  t.notMatch(host.out().stdout + host.out().stderr, /\n\s+at |"stack"/, 'no stack trace, in the log either');
  const cloud = cli([
    'cloud',
    '--data-dir',
    join(root, 'cloud'),
    '--port',
    '0',
    '--tls-cert-file',
    a.serverCertFile,
    '--tls-key-file',
    b.serverKeyFile,
  ]);
  t.equal(cloud.status, 2);
  t.equal(cloud.stderr, `sousvide cloud: tls.keyFile: ${b.serverKeyFile}: is not the private key of the certificate in tls.certFile\n`);
});

t.test('SIGTERM during start-up ends the process', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-term-'));
  const gw = startGateway(['--data-dir', dataDir, '--mqtt-port', '0', '--http-port', '0']);
  t.teardown(() => gw.child.kill('SIGKILL'));
  // As soon as the start has begun (the data dir is locked first), ask it to stop.
  await waitFor('start-up begun', async () => (existsSync(join(dataDir, 'gateway.lock')) ? true : undefined), 30_000, 5);
  gw.child.kill('SIGTERM');
  t.equal(await gw.exited, 0, `it stopped cleanly: ${gw.out().stderr}`);
});

t.test('--cloud-url without --cloud-token is a config error of one line', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-cfg-'));
  const r = cli(['gateway', '--data-dir', dataDir, '--cloud-url', 'https://cloud.example.com']);
  t.equal(r.status, 2);
  t.equal(r.stderr, 'sousvide gateway: cloud.token: required when cloud.url is set\n');
});

t.test('one start reports every mistake: refused values, rules across keys and missing files together', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-cfg-'));
  const missing = join(dataDir, 'no-such-ca.pem');
  const gw = cli([
    'gateway',
    '--data-dir',
    dataDir,
    '--mqtt-port',
    '99999',
    '--cloud-url',
    'https://cloud.example.com',
    '--relay-tls-ca-file',
    missing,
    '--mqtt-nodes',
    '2',
  ]);
  t.equal(gw.status, 2);
  t.same(
    gw.stderr.trimEnd().split('\n'),
    [
      'sousvide gateway: invalid gateway config:',
      '  mqtt.port: Too big: expected number to be <=65535 (got "99999")',
      '  mqtt.clusterRedisUrl: required when mqtt.nodes > 1 (the broker nodes route through Redis)',
      '  cloud.token: required when cloud.url is set',
      `  relay.tlsCaFile: ${missing}: no such file (ENOENT)`,
    ],
    'the refused port, two missing keys and the missing file, in one run',
  );
  t.notOk(existsSync(join(dataDir, 'gateway.db')), 'nothing was made');

  // A rule about a refused key is not reported: the clash would be with the default, not with anything given.
  const clash = cli(['gateway', '--data-dir', dataDir, '--mqtt-port', '99999', '--http-port', '8883']);
  t.equal(clash.status, 2);
  t.equal(
    clash.stderr,
    'sousvide gateway: mqtt.port: Too big: expected number to be <=65535 (got "99999")\n',
    'one line: the port, no made-up clash',
  );

  const cloud = cli(['cloud', '--data-dir', join(dataDir, 'cloud'), '--port', '99999', '--tls-cert-file', missing]);
  t.equal(cloud.status, 2);
  t.same(
    cloud.stderr.trimEnd().split('\n'),
    [
      'sousvide cloud: invalid cloud config:',
      '  port: Too big: expected number to be <=65535 (got "99999")',
      '  tls.keyFile: required when tls.certFile is set',
      `  tls.certFile: ${missing}: no such file (ENOENT)`,
    ],
    'the cloud too',
  );
});

t.test('an http.tokenFile that cannot be one: gateway token and gateway refuse it in one line, exit 2', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-tokfile-'));
  t.equal(cli(['device', 'add', 'kit-1', '--data-dir', dataDir, '--init']).status, 0, 'a store');
  const notDir = join(dataDir, 'gateway.json-not-a-dir');
  writeFileSync(notDir, 'x');
  for (const [file, reason] of [
    ['/nonexistent/dir/tok', 'its directory /nonexistent/dir does not exist'],
    [dataDir, 'is a directory, not a file'],
    [join(notDir, 'tok'), `${notDir} is not a directory`],
  ] as const) {
    const token = cli(['gateway', 'token', '--data-dir', dataDir, '--http-token-file', file]);
    t.equal(token.status, 2, `gateway token, ${file}: exit 2`);
    t.equal(token.stderr, `sousvide gateway token: http.tokenFile: ${file}: ${reason}\n`, 'one line naming the key and the reason');
    t.equal(token.stdout, '', 'no token printed');
    const gw = cli([
      'gateway',
      '--log-level',
      'warn',
      '--data-dir',
      dataDir,
      '--http-token-file',
      file,
      '--http-port',
      '0',
      '--mqtt-port',
      '0',
    ]);
    t.equal(gw.status, 2, `gateway, ${file}: refuses to start, exit 2`);
    t.equal(gw.stderr, `sousvide gateway: http.tokenFile: ${file}: ${reason}\n`);
    t.notMatch(token.stderr + gw.stdout + gw.stderr, /\n\s+at |unexpected failure/, 'no stack trace');
  }
  const ok = cli(['gateway', 'token', '--data-dir', dataDir, '--http-token-file', join(dataDir, 'tok'), '--json']);
  t.equal(ok.status, 0, 'a file in a directory that exists is fine');
  t.match(JSON.parse(ok.stdout), { token: /^svo_/ });
});

t.test('only the gateway (or --init) creates a store', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'sv-nostore-'));
  for (const args of [
    ['device', 'list'],
    ['device', 'add', 'kit-1'],
    ['device', 'revoke', 'kit-1'],
    ['device', 'rotate', 'kit-1'],
    ['gateway', 'token'],
  ]) {
    const r = cli(args, cwd);
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, /no gateway store at \S+ \(start the gateway there first, or pass --data-dir\)/, `${args.join(' ')}: says why`);
  }
  const typo = join(cwd, 'mistyped');
  t.equal(cli(['device', 'add', 'kit-1', '--data-dir', typo]).status, 2, 'a mistyped --data-dir');
  t.notOk(existsSync(typo), 'made nothing: no store, no CA');
  t.notOk(existsSync(join(cwd, 'data')), 'nothing under the current directory either');
  const init = cli(['device', 'add', 'kit-1', '--data-dir', typo, '--init', '--json']);
  t.equal(init.status, 0, '--init creates it');
  t.ok(existsSync(join(typo, 'gateway.sqlite')) && existsSync(join(typo, 'tls', 'ca.crt')));
});

t.test('gateway token never writes over the store: refused in one line, the store intact', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-tokstore-'));
  t.equal(cli(['device', 'add', 'kit-1', '--data-dir', dataDir, '--init']).status, 0, 'a store');
  const store = join(dataDir, 'gateway.sqlite');
  const before = readFileSync(store);
  const r = cli(['gateway', 'token', '--data-dir', dataDir, '--http-token-file', store]);
  t.equal(r.status, 2);
  t.equal(
    r.stderr,
    `sousvide gateway token: http.tokenFile: ${store}: is the gateway's live store, not a token file; choose another path\n`,
  );
  t.equal(r.stdout, '', 'no token printed');
  t.same(readFileSync(store), before, 'the store is intact');
  t.match(cli(['device', 'list', '--data-dir', dataDir]).stdout, /^kit-1 /m, 'and still works');
});

t.test('a store that is not a database: one line naming the file, exit 2, for the commands and the gateway', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-junkstore-'));
  const store = join(dataDir, 'gateway.sqlite');
  writeFileSync(store, Buffer.alloc(4096, 'junk'));
  const line = `store ${store} is not a SQLite database (SQLITE_NOTADB); restore it from a backup, or point the data dir elsewhere`;
  for (const args of [
    ['device', 'list'],
    ['device', 'add', 'kit-1'],
    ['device', 'rotate', 'kit-1'],
  ]) {
    const r = cli([...args, '--data-dir', dataDir]);
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    t.equal(r.stderr, `sousvide ${args.slice(0, 2).join(' ')}: ${line}\n`, `${args.join(' ')}: one line, no stack trace`);
  }
  const gw = cli(['gateway', '--log-level', 'fatal', '--data-dir', dataDir, '--http-port', '0', '--mqtt-port', '0']);
  t.equal(gw.status, 2, 'the gateway does not start: exit 2');
  t.equal(gw.stderr, `sousvide gateway: ${line}\n`);
  t.notMatch(gw.stdout + gw.stderr, /\n\s+at |undefined|unexpected failure/, 'no stack trace, no "undefined"');
  t.same(readFileSync(store), Buffer.alloc(4096, 'junk'), 'the file is left as it was');
});
