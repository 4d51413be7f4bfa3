import t from 'tap';
import { peakCorePct, processTable, summarizeCosts } from './process-meter.js';

t.test('each group total is the sum of its processes; CPU per message and per core from the window', async (t) => {
  const mb = 2 ** 20;
  const s = summarizeCosts(
    [
      { group: 'gateway', name: 'gateway-node-1', pid: 12, cpu0: 100, cpu: 1100, rssMax: 120.04 * mb },
      { group: 'gateway', name: 'gateway', pid: 10, cpu0: 500, cpu: 2500, rssMax: 250 * mb },
      { group: 'gateway', name: 'gateway-node-0', pid: 11, cpu0: 0, cpu: 330, rssMax: 130.06 * mb },
      { group: 'cloud', name: 'cloud', pid: 20, cpu0: 40, cpu: 540, rssMax: 170 * mb },
    ],
    10_000,
    4000,
    1000,
    [{ group: 'gateway' }, { group: 'cloud' }, { group: 'mariadbd' }],
  );
  t.same(
    s.groups.map((g) => g.group),
    ['gateway', 'cloud'],
    'a group with no process read (an external store) is left out',
  );
  const gw = s.groups[0];
  if (!gw) throw new Error('no gateway group');
  t.same(
    gw.processes.map((p) => [p.name, p.cpu_ms, p.rss_max_mb, p.cpu_us_per_msg, p.cpu_core_pct]),
    [
      ['gateway', 2000, 250, 500, 20],
      ['gateway-node-0', 330, 130.1, 82.5, 3.3],
      ['gateway-node-1', 1000, 120, 250, 10],
    ],
    'the main process first, then the nodes by name',
  );
  t.same(gw.total, { processes: 3, cpu_ms: 3330, rss_max_mb: 500.1, cpu_us_per_msg: 832.5, cpu_core_pct: 33.3, cpu_core_pct_peak: null });
  const table = processTable(s).join('\n');
  t.match(table, '| gateway-node-0 | 11 | 130.1 | 330 | 82.5 | 3.3 |');
  t.match(table, '| **gateway total** (3) | | 500.1 | 3330 | 832.5 | 33.3 |');
  t.notMatch(table, 'cloud total', 'a group of one process has no total row');
});

t.test('no acknowledged message: per-message figures are 0, not a division by zero', async (t) => {
  const s = summarizeCosts([{ group: 'cloud', name: 'cloud', pid: 1, cpu0: 0, cpu: 10, rssMax: mbOf(1) }], 1000, 0, 1000, [
    { group: 'cloud' },
  ]);
  t.equal(s.groups[0]?.total.cpu_us_per_msg, 0);
});

function mbOf(n: number): number {
  return n * 2 ** 20;
}

t.test("the busiest 10 s: the share of a core where a process ran out, not the whole run's average", async (t) => {
  // 30 s: idle for 10 s (connects), flat out for 12 s, then idle again (the drain).
  const hist: [number, number][] = [];
  let cpu = 0;
  for (let s = 0; s <= 30; s++) {
    hist.push([s * 1000, cpu]);
    cpu += s >= 10 && s < 22 ? 980 : 20;
  }
  t.equal(peakCorePct(hist), 98, 'the flat-out stretch at 98 % of a core');
  t.equal(peakCorePct(hist.slice(0, 5)), null, 'under 10 s of samples: no peak');
  const s = summarizeCosts(
    [
      { group: 'gateway', name: 'gateway', pid: 10, cpu0: 0, cpu: cpu, rssMax: mbOf(100), hist },
      { group: 'gateway', name: 'gateway-node-0', pid: 11, cpu0: 0, cpu: cpu, rssMax: mbOf(100), hist },
    ],
    30_000,
    1000,
    1000,
    [{ group: 'gateway' }],
  );
  const gw = s.groups[0];
  t.equal(gw?.processes[0]?.cpu_core_pct, Math.round((cpu / 30_000) * 1000) / 10, 'the whole-run share averages the idle parts in');
  t.equal(gw?.total.cpu_core_pct_peak, 196, "the group's busiest 10 s: two processes flat out together");
  t.match(processTable(s).join('\n'), '| **gateway total** (2) | | 200 |');
});
