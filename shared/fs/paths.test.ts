import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { isSvError } from '../errors.js';
import { checkWritableFile, makeDir } from './paths.js';

/** Paths the user names: made or checked, and refused with one line naming the flag or key and the reason. */
const root = mkdtempSync(join(tmpdir(), 'sv-paths-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const file = join(root, 'a-file');
writeFileSync(file, 'x');

function message(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (!isSvError(err)) throw err;
    return `${err.code} ${err.message}`;
  }
}

t.test('makeDir: made with its mode, also when it existed; a file in the way is named', async (t) => {
  const dir = join(root, 'made', 'deep');
  t.equal(
    message(() => makeDir(dir, '--out-dir')),
    'ok',
  );
  t.ok(statSync(dir).isDirectory());
  const loose = join(root, 'loose');
  mkdirSync(loose, { mode: 0o755 });
  makeDir(loose, 'data dir', { mode: 0o700 });
  t.equal(statSync(loose).mode & 0o777, 0o700, 'an existing directory is tightened');
  t.equal(
    message(() => makeDir(file, '--out-dir', { code: 'SV_ERR_CLI_USAGE' })),
    `SV_ERR_CLI_USAGE --out-dir ${file}: it, or a part of its path, is a file, not a directory (EEXIST)`,
  );
  t.equal(
    message(() => makeDir(join(file, 'below'), 'data dir')),
    `SV_ERR_STARTUP data dir ${join(file, 'below')}: a part of its path is a file, not a directory (ENOTDIR)`,
  );
});

t.test('checkWritableFile: its directory must exist, and it must not be a directory', async (t) => {
  t.equal(
    message(() => checkWritableFile(join(root, 'new.md'), '--report')),
    'ok',
    'a new file in a directory that exists',
  );
  t.equal(
    message(() => checkWritableFile(file, '--report')),
    'ok',
    'an existing file (updated in place)',
  );
  t.equal(
    message(() => checkWritableFile(join(root, 'nope', 'r.md'), '--report')),
    `SV_ERR_CLI_USAGE --report ${join(root, 'nope', 'r.md')}: its directory ${join(root, 'nope')} does not exist`,
  );
  t.equal(
    message(() => checkWritableFile(root, '--results')),
    `SV_ERR_CLI_USAGE --results ${root}: is a directory, not a file`,
  );
  t.equal(
    message(() => checkWritableFile(join(file, 'r.md'), '--report')),
    `SV_ERR_CLI_USAGE --report ${join(file, 'r.md')}: ${file} is not a directory`,
  );
});
