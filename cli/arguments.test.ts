import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
