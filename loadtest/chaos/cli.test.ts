import { PassThrough } from 'node:stream';
import t from 'tap';
import { runCli } from '../../cli/run.js';

/** `sousvide chaos`: clear errors for bad arguments (exit 2), the scenario list. */
async function cli(args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await runCli(args, { stdout, stderr, env: {} }, new AbortController().signal);
  return { code, out, err };
}

t.test('list names every scenario, in order', async (t) => {
  const r = await cli(['chaos', 'list', '--json']);
  t.equal(r.code, 0);
  t.same(
    (JSON.parse(r.out) as { n: number }[]).map((s) => s.n),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
});

t.test('bad arguments: exit 2 with a message naming the problem', async (t) => {
  t.match(await cli(['chaos']), { code: 2, err: /scenario: one of redis-down/ });
  t.match(await cli(['chaos', 'nope']), { code: 2, err: /unknown scenario "nope"/ });
  t.match(await cli(['chaos', 'redis-down', '--kits', 'many']), { code: 2, err: /--kits: an integer from 1 to 15000/ });
  t.match(await cli(['chaos', 'redis-down', '--rate', '0']), { code: 2, err: /--rate: a number from 0.01 to 20/ });
  t.match(await cli(['chaos', 'redis-down', '--fault']), { code: 2, err: /--fault: unknown option/ });
  t.match(await cli(['chaos', '--help']), { code: 0, out: /Usage: sousvide chaos <scenario\|all\|list>/ });
});
