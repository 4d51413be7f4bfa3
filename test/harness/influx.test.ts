import t from 'tap';
import { startInflux } from './index.js';

async function query(base: string, q: string, db?: string): Promise<unknown> {
  const params = new URLSearchParams({ q, epoch: 'ms' });
  if (db) params.set('db', db);
  const res = await fetch(`${base}/query?${params}`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`query failed: ${res.status} ${await res.text()}`);
  return res.json();
}

t.test('private influxdb: write line protocol, read back, data survives a restart', async (t) => {
  const influx = await startInflux(t);
  t.notOk(influx.external);
  await query(influx.url, 'CREATE DATABASE harness');
  const line = 'telemetry,device=kit-001 tempC=58.31,heater=true 1763798400123';
  const write = await fetch(`${influx.url}/write?db=harness&precision=ms`, { method: 'POST', body: line });
  t.equal(write.status, 204, 'the write was accepted');

  const read = async () =>
    (await query(influx.url, "SELECT tempC, heater FROM telemetry WHERE device = 'kit-001'", 'harness')) as {
      results: { series?: { values: unknown[][] }[] }[];
    };
  t.same((await read()).results[0]?.series?.[0]?.values, [[1763798400123, 58.31, true]], 'the point reads back');

  await influx.restart();
  t.same((await read()).results[0]?.series?.[0]?.values, [[1763798400123, 58.31, true]], 'the point survived a restart (WAL)');
});
