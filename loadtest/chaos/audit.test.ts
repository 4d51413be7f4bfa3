import t from 'tap';
import { startInflux } from '../../test/harness/index.js';
import { lossAudit } from './audit.js';

/** The audit itself can fail: a record acknowledged but absent, and a record stored twice, are both reported. */
const influx = await startInflux(t);
const db = 'chaos_audit';
const q = (query: string) => fetch(`${influx.directUrl}/query`, { method: 'POST', body: new URLSearchParams({ q: query }) });
await q(`CREATE DATABASE ${db}`);
const t0 = Date.now();
// kit-a: seqs 0..4 once; kit-b: seq 0 once, seq 1 twice (two receive times: the duplicate ADR 011 avoids).
const lines = [
  ...[0, 1, 2, 3, 4].map((s) => `telemetry,device=kit-a,gateway=gw boot=1i,seq=${s}i ${(t0 + s) * 1e6}`),
  `telemetry,device=kit-b,gateway=gw boot=1i,seq=0i ${t0 * 1e6}`,
  `telemetry,device=kit-b,gateway=gw boot=1i,seq=1i ${(t0 + 10) * 1e6}`,
  `telemetry,device=kit-b,gateway=gw boot=1i,seq=1i ${(t0 + 20) * 1e6}`,
];
const w = await fetch(`${influx.directUrl}/write?db=${db}&precision=ns`, { method: 'POST', body: lines.join('\n') });
t.equal(w.status, 204, 'points written');

t.test('every acknowledged record found once: clean', async (t) => {
  const r = await lossAudit({ influxUrl: influx.directUrl, db, acked: [{ id: 'kit-a', boot: 1, seqs: [0, 1, 2, 3, 4] }], evictions: 0 });
  t.match(r, { acked: 5, found: 5, missing: 0, duplicates: 0, unexplained: 0 });
});

t.test('a missing record and a duplicate are reported', async (t) => {
  const r = await lossAudit({
    influxUrl: influx.directUrl,
    db,
    acked: [
      { id: 'kit-a', boot: 1, seqs: [0, 1, 2, 3, 4, 5] },
      { id: 'kit-b', boot: 1, seqs: [0, 1] },
    ],
    evictions: 0,
  });
  t.match(r, { acked: 8, found: 7, missing: 1, duplicates: 1, unexplained: 1 });
  t.ok(r.examples.includes('missing kit-a/1/5'), 'the missing key is named');
  t.ok(r.examples.includes('duplicate kit-b/1/1 ×2'), 'the duplicate is named');
});

t.test('evictions explain nothing without the gateway store proving them', async (t) => {
  const r = await lossAudit({ influxUrl: influx.directUrl, db, acked: [{ id: 'kit-a', boot: 1, seqs: [9] }], evictions: 5 });
  t.equal(r.unexplained, 1);
});
