import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { ChaosResult } from './scenario.js';

/**
 * docs/chaos-results.md: one table row and one notes section per scenario. A run regenerates its
 * scenario's row and section and keeps the others (each row says when and how it was measured).
 */
const TABLE_HEAD = [
  '| # | scenario | run | failure signature | behaviour | time to detect | MTTR | records acknowledged | records found | duplicates | evictions | unexplained loss |',
  '|---:|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
];

const fmtS = (s: number) => (Number.isFinite(s) ? `${s.toFixed(1)} s` : 'not reached');
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** "3.2 s" for one episode; "median 3.2 s, max 5.0 s (20)" for many. */
export function summarize(values: number[]): string {
  if (values.length === 1) return fmtS(values[0] as number);
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return 'not reached';
  const median = finite[Math.floor(finite.length / 2)] as number;
  const missed = values.length - finite.length;
  return `median ${median.toFixed(1)} s, max ${(finite[finite.length - 1] as number).toFixed(1)} s (${values.length}${missed ? `, ${missed} not reached` : ''})`;
}

function byLabel(r: ChaosResult, pick: (e: ChaosResult['episodes'][number]) => number): string {
  const labels = [...new Set(r.episodes.map((e) => e.label))];
  if (labels.length === 1) return summarize(r.episodes.map(pick));
  return labels.map((l) => `${l}: ${summarize(r.episodes.filter((e) => e.label === l).map(pick))}`).join('<br>');
}

export function runLabel(r: ChaosResult): string {
  const p = r.params;
  const what = [`${p.kits} kits × ${p.rate}/s`, r.scenario.n === 7 ? '2 restarts' : `fault ${p.faultS} s`];
  if (r.scenario.n === 6) what.push(`${p.kills} kills`);
  if (r.scenario.n === 8) what.push(`quota ${p.quotaBytes} B`);
  return `${r.reduced ? '**reduced**' : 'full'} (${what.join(', ')}) ${r.date.slice(0, 10)}`;
}

export function tableRow(r: ChaosResult): string {
  const a = r.audit;
  const detect = r.scenario.silent ? 'none by design (no signal watches kit clocks)' : byLabel(r, (e) => e.detectS);
  return `| ${r.scenario.n} | ${r.scenario.name} | ${runLabel(r)} | ${esc(r.signature)} | ${esc(r.behaviour)} | ${detect} | ${byLabel(r, (e) => e.mttrS)} | ${a.acked} | ${a.found} | ${a.duplicates} | ${a.evictions} | ${a.unexplained} |`;
}

/** Which code ran: the given commit (`--commit`, SV_CHAOS_COMMIT: a run from an exported tree), else the checkout's HEAD and whether it had local changes. */
function codeVersion(commit?: string): string {
  if (commit) return `commit ${commit}`;
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
    return `commit ${head}${dirty ? ` + ${dirty.split('\n').length} modified files` : ''}`;
  } catch {
    return 'commit unknown';
  }
}

export function notesSection(r: ChaosResult, commit?: string): string {
  const p = r.params;
  const lines = [
    `<!-- chaos:${r.scenario.name} -->`,
    `### ${r.scenario.n}. ${r.scenario.title} (\`sousvide chaos ${r.scenario.name}\`)`,
    '',
    `${r.date} · ${r.reduced ? 'reduced run' : 'full run'} (${r.mode}) · ${Math.round(r.durationS)} s · load average (1 min) ${r.load.start.toFixed(2)} at the start, ${r.load.end.toFixed(2)} at the end, ${r.load.max.toFixed(2)} max · ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB · ${codeVersion(commit)} · ${r.ok ? 'all checks passed' : '**FAILED**'}`,
    '',
    `- parameters: ${p.kits} kits at ${p.rate} msg/s, warm-up ${p.warmupS} s, fault ${p.faultS} s, load after recovery ${p.afterS} s${r.scenario.n === 6 ? `, ${p.kills} kills` : ''}${r.scenario.n === 8 ? `, outbox quota ${p.quotaBytes} bytes` : ''}; ${p.fast ? 'CI backoffs (short)' : 'default backoffs (kits 1 → 60 s, relay 0.5 → 60 s)'}; kits from ${p.distinctSources ? 'distinct 127.x.y.z addresses' : '127.0.0.1'}`,
    ...r.episodes.map(
      (e) => `- ${e.label}: detect ${fmtS(e.detectS)}, MTTR ${fmtS(e.mttrS)}; signals: ${e.signals.length ? e.signals.join(', ') : 'none'}`,
    ),
    `- kits: ${r.fleet.published} published, ${r.fleet.resent} resent, ${r.fleet.acked} PUBACKs, ${r.fleet.connects} connects, ${r.fleet.connectFailures} failed connects, ${r.fleet.disconnects} disconnects, ${r.fleet.bufferDropped} dropped from a full kit buffer (never acknowledged)`,
    `- audit: ${r.audit.acked} acknowledged, ${r.audit.found} found, ${r.audit.missing} missing (${r.audit.explained} explained by counted evictions), ${r.audit.duplicates} duplicates, ${r.audit.unacknowledgedPoints} points stored without a PUBACK reaching the kit${r.audit.examples.length ? `; e.g. ${r.audit.examples.join(', ')}` : ''}`,
    ...r.checks.map((c) => `- check: ${c.ok ? 'ok' : '**FAILED**'} — ${c.name}${c.detail ? ` (${c.detail})` : ''}`),
    ...r.notes.map((n) => `- ${n}`),
    `<!-- /chaos:${r.scenario.name} -->`,
  ];
  return lines.join('\n');
}

const INTRO = `# Chaos results

Written by \`sousvide chaos <scenario>\` (loadtest/chaos/); each run regenerates its scenario's row
and notes and keeps the others. Every run is real: private InfluxDB 1.6, Redis and MariaDB from
test/harness, cloud process(es), the gateway as a child process, a fault proxy on the gateway →
cloud link, and kits over MQTT/TLS that record every \`(device, boot, seq)\` whose PUBACK they got.
**Time to detect**: from the fault's injection to the first observable signal (gateway /metrics,
cloud /readyz and /metrics, the kits' connections; sampled every 250 ms). **MTTR**: from the
repair to recovered — gateway and link up, the outbox's oldest record under 3 s old (the backlog
drained), every kit connected with its buffer drained. **Loss audit**: after the kits stop and the
outbox drains, each acknowledged record must be in InfluxDB exactly once, or be a counted quota
eviction (committed at the gateway, gone from its outbox, counted in \`relay_dropped_records\`).
Rows marked **reduced** ran with smaller parameters than the full ones (stated in the row).

How some scenarios are set up:
- **9 (cloud instance killed)**: the relay takes one cloud URL (\`cloud.url\`), as it would behind
  any load balancer; the run puts the two cloud processes behind a small round-robin TCP balancer
  (loadtest/chaos/balancer.ts) that tries the next instance when one refuses, and kills the
  instance carrying the relay's connection. The relay itself is unchanged.
- **7 (restart storm)**: the gateway limits new connections per source address
  (\`mqtt.connRatePerAddr\` 20/s, burst 100) and bans an address after 5 failed
  authentications in 60 s. Kits on a LAN each have their own address; the run restarts the gateway
  once with every kit on its own 127.x.y.z address and once with all on 127.0.0.1 (a NAT, or this
  load generator), with the default limits both times. A connection refused by the rate limit is
  not an authentication failure, so it delays a kit (which backs off and retries) but never bans
  it. Load tests that need every kit at once from one address set \`--mqtt-conn-rate-per-addr 0\`.
- **5 (black hole)**: bytes dropped by the fault proxy are gone (it cannot retransmit), so a
  request caught in the black hole ends at the relay's request timeout (30 s by default).
- **10 (kit clocks)**: nothing watches kit clocks, so there is no detection signal by design; the
  checks are on the data (history in order and inside the run, latest state newest).
`;

export function writeChaosReport(file: string, r: ChaosResult, commit?: string): void {
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const rows = new Map<string, string>();
  for (const line of old.split('\n')) {
    const m = /^\| (\d+) \| ([a-z0-9-]+) \|/.exec(line);
    if (m) rows.set(m[2] as string, line);
  }
  rows.set(r.scenario.name, tableRow(r));
  const sections = new Map<string, string>();
  for (const m of old.matchAll(/<!-- chaos:([a-z0-9-]+) -->[\s\S]*?<!-- \/chaos:\1 -->/g)) sections.set(m[1] as string, m[0]);
  sections.set(r.scenario.name, notesSection(r, commit));
  const num = (line: string) => Number(/^\| (\d+)/.exec(line)?.[1] ?? 99);
  const sortedRows = [...rows.values()].sort((a, b) => num(a) - num(b));
  const secNum = (s: string) => Number(/### (\d+)\./.exec(s)?.[1] ?? 99);
  const sortedSections = [...sections.values()].sort((a, b) => secNum(a) - secNum(b));
  const md = [INTRO, ...TABLE_HEAD, ...sortedRows, '', '## Notes per scenario', '', sortedSections.join('\n\n'), ''].join('\n');
  writeFileSync(file, md);
}
