import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { sousvide, startMariaDb } from '../test/harness/index.js';

/**
 * A store the cloud cannot reach is one line naming its config key, the host and port and the
 * cause, exit 2, never the password nor a stack trace: for the server (`sousvide cloud`) and for
 * the admin commands, on each store (MySQL, Redis, InfluxDB). Port 1 has no server.
 */
const cli = (args: string[]) => spawnSync(...sousvide(args), { encoding: 'utf8', timeout: 60_000 });
const dataDir = mkdtempSync(join(tmpdir(), 'sv-connect-'));
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
const SECRET = 'pw-Secret-42';

t.test('an unreachable store: the key, host:port and cause, exit 2', async (t) => {
  const cases: [string[], string][] = [
    [
      ['cloud', 'org', 'list', '--mysql-url', `mysql://u:${SECRET}@127.0.0.1:1/db`],
      'sousvide cloud org list: mysql.url: cannot connect to 127.0.0.1:1 (ECONNREFUSED)\n',
    ],
    [
      ['cloud', '--port', '0', '--data-dir', dataDir, '--mysql-url', `mysql://u:${SECRET}@127.0.0.1:1/db`],
      'sousvide cloud: mysql.url: cannot connect to 127.0.0.1:1 (ECONNREFUSED)\n',
    ],
    [
      ['cloud', '--port', '0', '--data-dir', dataDir, '--redis-url', `redis://:${SECRET}@127.0.0.1:1/0`],
      'sousvide cloud: redis.url: cannot connect to 127.0.0.1:1 (ECONNREFUSED)\n',
    ],
    [
      ['cloud', '--port', '0', '--data-dir', dataDir, '--influx-url', 'http://127.0.0.1:1'],
      'sousvide cloud: influx.url: cannot connect to 127.0.0.1:1 (ECONNREFUSED)\n',
    ],
  ];
  for (const [args, line] of cases) {
    const r = cli(args);
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    // The server logs JSON lines on stderr before it gives up; the user's line is the last one.
    const last = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
    t.same(last, [line.trimEnd()], `${args.join(' ')}: one line`);
    t.notMatch(r.stderr, SECRET, 'never the password');
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

t.test('a MySQL server that refuses the credentials: its reason, not the password', async (t) => {
  const mysql = await startMariaDb(t);
  const url = new URL(mysql.directUrl);
  url.username = 'nobody';
  url.password = SECRET;
  const r = cli(['cloud', 'org', 'list', '--mysql-url', url.href]);
  t.equal(r.status, 2);
  t.match(
    r.stderr,
    new RegExp(
      `^sousvide cloud org list: mysql\\.url: cannot connect to 127\\.0\\.0\\.1:${url.port} \\(ER_ACCESS_DENIED_ERROR: Access denied for user 'nobody'`,
    ),
  );
  t.equal(r.stderr.trimEnd().split('\n').length, 1, 'one line');
  t.notMatch(r.stderr, SECRET, 'never the password');
});
