import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { checkOperatorToken, issueOperatorToken, tokenFileState } from './operator-token.js';

/** The token file as the start-up log describes it: none issued, a digest, or something no token can match. */
const dir = mkdtempSync(join(tmpdir(), 'sv-operator-token-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'operator-token.sha256');

t.test('no file: none, and every token is refused', async (t) => {
  t.equal(tokenFileState(file), 'none');
  t.notOk(checkOperatorToken(file, 'svo_anything'));
});

t.test('an issued token: ok, and exactly that token passes', async (t) => {
  const token = issueOperatorToken(file);
  t.equal(tokenFileState(file), 'ok');
  t.ok(checkOperatorToken(file, token));
  t.notOk(checkOperatorToken(file, `${token}x`));
});

t.test('the token itself pasted into the file: malformed, and it does not pass', async (t) => {
  const token = issueOperatorToken(file);
  writeFileSync(file, `${token}\n`);
  t.equal(tokenFileState(file), 'malformed');
  t.notOk(checkOperatorToken(file, token));
});
