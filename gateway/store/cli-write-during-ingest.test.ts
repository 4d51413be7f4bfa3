import t from 'tap';
import { counter, startGateway, telemetry } from '../testing/fixture.js';
import { openStore } from './open.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Another process writing the store (the CLI adding, rotating or revoking a device) while kits
 * report: the commits that meet its write lock wait for it (ADR 045). Before, a commit holding a
 * kit's first reading (which the writer looks up before it writes) failed at once with
 * SQLITE_BUSY: no PUBACK, and every kit in it was disconnected.
 */
t.test("kits' first readings that meet another writer's lock are acknowledged, and no kit is disconnected", async (t) => {
  const gw = await startGateway(t);
  const ids = Array.from({ length: 8 }, (_, i) => `kit-lock${i}`);
  const kits = [];
  const closes: string[] = [];
  for (const id of ids) {
    const secret = await gw.addKit(id);
    const kit = await gw.connect({ clientId: id, username: id, password: secret });
    kit.on('close', () => closes.push(id));
    kits.push(kit);
  }
  const cli = openStore(gw.dataDir); // a second connection, as the CLI opens it
  t.teardown(() => cli.close());

  cli.exec('BEGIN IMMEDIATE'); // the CLI's write transaction holds the lock…
  const acked = kits.map((kit, i) =>
    kit.publishAsync(`sv/${ids[i]}/telemetry`, telemetry({ boot: 1, seq: 0 }), { qos: 1 }).then(
      () => 'acked',
      (err: Error) => `failed: ${err.message}`,
    ),
  );
  await sleep(500); // …while every kit's first reading reaches the writer
  cli.prepare("INSERT INTO meta (key, value) VALUES ('cli-test', 1)").run();
  cli.exec('COMMIT');

  const outcome = await Promise.race([Promise.all(acked), sleep(20_000).then(() => 'no PUBACK within 20 s for some kit')]);
  t.same(
    outcome,
    ids.map(() => 'acked'),
    'every first reading was acknowledged once the other writer committed',
    { closes },
  );
  t.same(closes, [], 'no kit was disconnected');
  t.equal(counter(await gw.metrics(), 'store_fail_total'), 0, 'no commit failed');
  const rows = gw.db().prepare("SELECT device_id, seq FROM telemetry WHERE device_id LIKE 'kit-lock%' ORDER BY device_id").all() as {
    device_id: string;
    seq: number;
  }[];
  t.same(
    rows,
    ids.map((id) => ({ device_id: id, seq: 0 })),
    'each reading is stored once',
  );
  t.equal(
    (gw.db().prepare("SELECT value FROM meta WHERE key = 'cli-test'").get() as { value: number }).value,
    1,
    "and the CLI's write is there too",
  );
  for (const kit of kits) kit.end(true);
});
