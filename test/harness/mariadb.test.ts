import mysql from 'mysql2/promise';
import t from 'tap';
import { startMariaDb } from './index.js';

t.test('private mariadb: write, read back, data survives kill -9 and restart', async (t) => {
  const db = await startMariaDb(t);
  t.notOk(db.external);
  const conn1 = await mysql.createConnection(db.url);
  await conn1.query('CREATE TABLE kv (k VARCHAR(32) PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB');
  await conn1.query('INSERT INTO kv VALUES (?, ?)', ['probe', 'DS18B20']);
  const [rows] = await conn1.query<mysql.RowDataPacket[]>('SELECT v FROM kv WHERE k = ?', ['probe']);
  t.same(
    rows.map((r) => r.v),
    ['DS18B20'],
    'row read back through the real server',
  );

  await db.kill();
  await t.rejects(conn1.query('SELECT 1'), 'the old connection fails after kill -9');
  await db.start();
  const conn2 = await mysql.createConnection(db.url);
  t.teardown(() => conn2.end());
  const [after] = await conn2.query<mysql.RowDataPacket[]>('SELECT v FROM kv WHERE k = ?', ['probe']);
  t.same(
    after.map((r) => r.v),
    ['DS18B20'],
    'the committed row survived the crash (InnoDB durability)',
  );
  conn1.destroy();
});
