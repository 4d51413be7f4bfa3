import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { RelayRecord } from '../../shared/relay/batch.js';
import { openStore } from '../store/open.js';
import { addCertDevice, addSecretDevice, revokeDevice } from './registry.js';
import { queueFullRegistry } from './registry-relay.js';

/** The device registry reaches the outbox as `registry` relay records, valid for the shared contract. */
const dir = mkdtempSync(join(tmpdir(), 'sv-registry-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const db = openStore(dir);
t.teardown(() => db.close());
const outbox = () =>
  (db.prepare('SELECT kind, priority, record FROM outbox ORDER BY id').all() as { kind: string; priority: number; record: string }[]).map(
    (r) => ({ ...r, parsed: RelayRecord.parse(JSON.parse(r.record)) }),
  );

t.test('add and revoke are queued with the change', async (t) => {
  await addSecretDevice(db, 'kit-r1');
  addCertDevice(db, 'kit-r2', 'ab'.repeat(32));
  revokeDevice(db, 'kit-r1');
  t.throws(() => revokeDevice(db, 'kit-r1'), { code: 'SV_ERR_NOT_FOUND' }, 'a failed revoke queues nothing');
  const rows = outbox();
  t.same(
    rows.map((r) => [r.kind, r.priority, r.parsed.kind === 'registry' && [r.parsed.added, r.parsed.revoked]]),
    [
      ['registry', 0, [['kit-r1'], []]],
      ['registry', 0, [['kit-r2'], []]],
      ['registry', 0, [[], ['kit-r1']]],
    ],
  );
});

t.test('the whole registry at start, one pending snapshot at most', async (t) => {
  t.equal(queueFullRegistry(db, 1000), 1);
  t.equal(queueFullRegistry(db, 2000), 1);
  const full = outbox().filter((r) => r.kind === 'registry_full');
  t.equal(full.length, 1, 'an unsent snapshot is replaced');
  t.match(full[0]?.parsed, { kind: 'registry', ts: 2000, added: ['kit-r2'], revoked: ['kit-r1'] });
  db.prepare('DELETE FROM devices').run();
  db.prepare("DELETE FROM outbox WHERE kind = 'registry_full'").run();
  t.equal(queueFullRegistry(db), 0, 'no devices: nothing queued');
});
