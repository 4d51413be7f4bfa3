/**
 * The per-message topic checks of the broker's publish path, before and after the split-free
 * check: three parseTopic calls (the ACL, the uplink suffix, the routing skip) against one
 * ownUplinkSuffix call. Interleaved rounds in one process; compare the ratio, not the µs.
 * Run: npx tsx shared/topics.bench.ts (numbers in docs/benchmarks.md).
 */
import { ownUplinkSuffix, parseTopic } from './topics.js';

const ids = Array.from({ length: 10_000 }, (_, i) => `kit-${String(i).padStart(5, '0')}`);
const topicsOf = ids.map((id) => `sv/${id}/telemetry`);
let sink = 0;

function before(): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    const topic = topicsOf[i] as string;
    const acl = parseTopic(topic);
    if (acl === null || acl.deviceId !== id || acl.suffix === 'cmd') continue;
    const suffix = parseTopic(topic)?.suffix;
    const route = parseTopic(topic);
    if (suffix !== undefined && route !== null && route.suffix !== 'cmd') sink++;
  }
}

function after(): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    const topic = topicsOf[i] as string;
    const suffix = ownUplinkSuffix(id, topic);
    if (suffix === null) continue;
    if (ownUplinkSuffix(id, topic) !== null) sink++;
  }
}

const round = (fn: () => void, reps = 20): number => {
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) fn();
  return Number(process.hrtime.bigint() - t0) / 1000 / (reps * ids.length);
};

for (let w = 0; w < 5; w++) round(before) + round(after);
const b: number[] = [];
const a: number[] = [];
for (let r = 0; r < 40; r++) {
  b.push(round(before));
  a.push(round(after));
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
const mb = median(b);
const ma = median(a);
console.log(`before (3 × parseTopic): ${mb.toFixed(3)} µs per message`);
console.log(`after (ownUplinkSuffix, ACL + routing skip): ${ma.toFixed(3)} µs per message (${((ma / mb - 1) * 100).toFixed(0)} %)`);
if (sink === 0) throw new Error('nothing was checked');
