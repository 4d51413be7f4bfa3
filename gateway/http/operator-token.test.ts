import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import { isSvError } from '../../shared/errors.js';
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

t.test("a file that is not a token file, or one of the gateway's own, is refused and left as it was", async (t) => {
  const dataDir = join(dir, 'data');
  mkdirSync(join(dataDir, 'tls'), { recursive: true });
  const store = join(dataDir, 'gateway.sqlite');
  const db = new Sqlite(store);
  db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
  db.close();
  const key = join(dataDir, 'tls', 'server.key');
  writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
  const before = readFileSync(store);
  const refusal = (file: string, dataDirArg?: string) => {
    try {
      issueOperatorToken(file, dataDirArg);
      return 'written';
    } catch (err) {
      t.ok(isSvError(err, 'SV_ERR_CONFIG_INVALID'));
      return (err as Error).message;
    }
  };
  t.equal(refusal(store, dataDir), `http.tokenFile: ${store}: is the gateway's live store, not a token file; choose another path`);
  t.same(readFileSync(store), before, 'the store is intact');
  const reopened = new Sqlite(store, { readonly: true });
  t.same(reopened.prepare('SELECT x FROM t').get(), { x: 1 }, 'and still a database');
  reopened.close();
  t.equal(
    refusal(`${store}-wal`, dataDir),
    `http.tokenFile: ${store}-wal: is the gateway's live store, not a token file; choose another path`,
    'also a file of the store that does not exist now',
  );
  t.notOk(existsSync(`${store}-wal`));
  t.equal(
    refusal(join(dataDir, 'gateway.lock'), dataDir),
    `http.tokenFile: ${join(dataDir, 'gateway.lock')}: is the gateway's lock file, not a token file; choose another path`,
  );
  t.match(refusal(key, dataDir), /is the gateway's TLS keys and certificates, not a token file/);
  t.match(refusal(join(dataDir, 'tls', '..', 'gateway.sqlite'), dataDir), /is the gateway's live store/, 'by any path to it');
  t.equal(
    refusal(store),
    `http.tokenFile: ${store}: exists and is not an operator token file (one SHA-256 digest); refusing to overwrite it`,
    'by its content, without the data dir too',
  );
  t.same(readFileSync(store), before);
  const notes = join(dir, 'notes.txt');
  writeFileSync(notes, 'my notes\n');
  t.match(refusal(notes, dataDir), /notes\.txt: exists and is not an operator token file/);
  t.equal(readFileSync(notes, 'utf8'), 'my notes\n', 'the notes are intact');
  t.match(readFileSync(key, 'utf8'), /BEGIN PRIVATE KEY/, 'the key is intact');

  // Its own kind is replaced: an earlier digest, a pasted token, an empty file, the default path in the data dir.
  const own = join(dataDir, 'operator-token.sha256');
  const first = issueOperatorToken(own, dataDir);
  const second = issueOperatorToken(own, dataDir);
  t.ok(checkOperatorToken(own, second));
  writeFileSync(own, `${first}\n`);
  t.ok(checkOperatorToken(own, issueOperatorToken(own, dataDir)), 'a pasted token is replaced');
  writeFileSync(own, '');
  t.ok(checkOperatorToken(own, issueOperatorToken(own, dataDir)), 'an empty file too');
});
