import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { sousvide } from '../test/harness/index.js';

/**
 * Words on the command line that are not options: a command takes as many as it says (a device
 * id, a backup file), and a stray one is refused in one line, exit 2, before anything runs. A
 * switch followed by "false" (which would turn it on) is refused with the way to write it.
 */
const cli = (args: string[]) => spawnSync(...sousvide(args), { encoding: 'utf8', env: { ...process.env } });

t.test('a stray argument is refused before the command runs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-args-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const gw = cli(['gateway', '--data-dir', join(dir, 'gw'), '--mqtt-port', '0', '--http-port', '0', 'extra-word']);
  t.equal(gw.status, 2, 'gateway with a stray word exits 2');
  t.match(gw.stderr, /^sousvide gateway: unexpected argument "extra-word" \(usage: sousvide gateway /);
  t.match(gw.stderr, /arguments: none expected, got 1/);
  t.notMatch(gw.stderr, /\n\s+at /, 'no stack trace');

  const list = cli(['device', 'list', join(dir, 'gw')]);
  t.equal(list.status, 2, 'device list with a path as a word (it takes --data-dir) exits 2');
  t.match(list.stderr, /unexpected argument ".*gw"/);

  const two = cli(['device', 'add', 'kit-a', 'kit-b', '--data-dir', join(dir, 'gw')]);
  t.equal(two.status, 2);
  t.match(two.stderr, /unexpected argument "kit-b"/);
  t.match(two.stderr, /arguments: at most 1, got 2/);

  const none = cli(['device', 'add', '--data-dir', join(dir, 'gw')]);
  t.equal(none.status, 2, 'a missing id is still named');
  t.match(none.stderr, /id: missing/);

  const added = cli(['device', 'add', 'kit-a', '--init', '--data-dir', join(dir, 'gw'), '--json']);
  t.equal(added.status, 0, 'one id is what device add takes');
});

t.test('a switch followed by "false" is refused with the way to write it', async (t) => {
  const r = cli(['gateway', '--log-snapshot', 'false', '--mqtt-port', '0']);
  t.equal(r.status, 2);
  t.match(
    r.stderr,
    /--log-snapshot false: a switch takes no separate value \(write --log-snapshot=false, or --no-log-snapshot to turn it off\)/,
  );
  const help = cli(['device', 'add', '--help']);
  t.equal(help.status, 0, '--help still shows the help');
});

t.test('a switch is --x, --x=true or --x=false, and the command sees which', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-switch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const gw = ['--data-dir', join(dir, 'gw')];
  const cert = cli(['device', 'add', 'kit-3', '--cert=true', '--init', ...gw, '--json=true']);
  t.equal(cert.status, 0, cert.stderr);
  const added = JSON.parse(cert.stdout) as { certFile?: string; secret?: string };
  t.ok(added.certFile, '--cert=true issued a certificate');
  t.notOk(added.secret, 'not a secret');
  t.ok(existsSync(added.certFile as string), 'written where it says');
  const listed = JSON.parse(cli(['device', 'list', ...gw, '--json=TRUE']).stdout) as { id: string; auth: string }[];
  t.match(listed, [{ id: 'kit-3', auth: 'cert' }], 'a certificate kit, and --json=TRUE printed JSON');

  const secret = cli(['device', 'add', 'kit-4', '--cert=false', ...gw, '--json']);
  t.equal(secret.status, 0, secret.stderr);
  t.match(JSON.parse(secret.stdout), { id: 'kit-4', secret: /\S/ }, '--cert=false: a secret');
  t.match(cli(['device', 'list', ...gw, '--json=false']).stdout, /^kit-3\s+cert\s+active since/m, '--json=false: text');

  for (const [args, line] of [
    [['device', 'list', ...gw, '--json=maybe'], '--json=maybe: a switch is on or off (write --json, --json=true or --json=false)'],
    [['device', 'add', 'kit-5', '--cert=yes', ...gw], '--cert=yes: a switch is on or off (write --cert, --cert=true or --cert=false)'],
    [['device', 'add', 'kit-5', '--cert=', ...gw], '--cert=: a switch is on or off (write --cert, --cert=true or --cert=false)'],
  ] as const) {
    const r = cli([...args]);
    t.equal(r.status, 2, `${line}: exit 2`);
    t.match(r.stderr, line);
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  t.notMatch(cli(['device', 'list', ...gw, '--json']).stdout, /kit-5/, 'nothing was added by a refused switch');

  const help = cli(['device', 'add', 'kit-6', '--help=true', ...gw]);
  t.equal(help.status, 0);
  t.match(help.stdout, /^Usage: sousvide device add/m, '--help=true shows the help');
  t.notMatch(cli(['device', 'list', ...gw]).stdout, /kit-6/, 'and runs nothing');

  const yes = cli(['device', 'add', 'kit-7', '--cert', 'yes', ...gw]);
  t.equal(yes.status, 2);
  t.match(yes.stderr, /--cert yes: a switch takes no separate value \(write --cert=true, or --no-cert to turn it off\)/);
});

t.test('help asked for exits 0; a mistake the user must fix exits 2, in one line', async (t) => {
  for (const args of [
    ['device', '--help'],
    ['cloud', 'org', '--help'],
    ['bench', '--help'],
    ['device', '-h'],
  ]) {
    const r = cli(args);
    t.equal(r.status, 0, `${args.join(' ')} exits 0`);
    t.match(r.stdout, /Subcommands:/);
  }
  t.equal(cli(['device']).status, 2, 'a command without its subcommand is still a usage error');

  const dir = mkdtempSync(join(tmpdir(), 'sv-exit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const gw = ['--data-dir', join(dir, 'gw')];
  t.equal(cli(['device', 'add', 'kit-1', '--init', ...gw]).status, 0);
  for (const [args, line] of [
    [['device', 'add', 'kit-1', ...gw], 'sousvide device add: device kit-1 already exists'],
    [['device', 'revoke', 'nosuch', ...gw], 'sousvide device revoke: no active device nosuch'],
    [['device', 'rotate', 'nosuch', ...gw], 'sousvide device rotate: no active device nosuch'],
  ] as const) {
    const r = cli([...args]);
    t.equal(r.status, 2, `${line}: exit 2`);
    t.match(r.stderr, line);
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
