import { deviceSeries } from '../audit.js';
import type { KitClock } from '../kits.js';
import type { Scenario } from '../scenario.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HOUR = 3_600_000;

/** Kits by index: a synced clock, none (ts null), 5 h slow, 3 h fast. */
const CLOCKS: KitClock[] = [{ kind: 'ntp' }, { kind: 'none' }, { kind: 'offset', ms: -5 * HOUR }, { kind: 'offset', ms: 3 * HOUR }];

/**
 * 10. Kit clocks wrong: no NTP (ts null), hours slow, hours fast. Halfway, the clocks change under
 * load: the synced kits reboot without NTP (boot + 1, seq from 0, ts null), the kits without a
 * clock get NTP, the slow and fast ones are corrected (a jump of hours forward and back). The
 * history must stay right: every reading once, each kit's points in (boot, seq) order when read
 * in time order, every point inside the run's wall-clock window (readings were taken during the
 * run, whatever the kit's clock said); the latest state is the newest (boot, seq).
 */
export const kitClock: Scenario = {
  n: 10,
  name: 'kit-clock',
  title: 'Kit clocks wrong (no NTP, hours off), then changing under load',
  short: { kits: 8, warmupS: 5, faultS: 5, afterS: 3, fast: true, recoverTimeoutS: 90 },
  full: { kits: 40, warmupS: 30, faultS: 30, afterS: 15 },
  silent: true,
  needs: () => ({ kit: (k, i) => ({ ...k, clock: CLOCKS[i % CLOCKS.length] }) }),
  async run(ctx) {
    const { topo, fleet, params, log } = ctx;
    log('fault: clocks change (synced kits reboot without NTP, the others get NTP)');
    const injectedAt = Date.now();
    topo.kits.forEach((k, i) => {
      if (i % CLOCKS.length === 0) {
        fleet.setClock(k.id, { kind: 'none' });
        fleet.reboot(k.id);
      } else fleet.setClock(k.id, { kind: 'ntp' });
    });
    // MTTR: the rebooted kits back; then readings with the new clocks flow for `faultS`.
    const recoveredAt = await ctx.waitRecovered(injectedAt);
    await sleep(Math.max(0, injectedAt + params.faultS * 1000 - Date.now()));
    return [{ label: 'clocks changed', injectedAt, healedAt: injectedAt, recoveredAt, faultEndedAt: Date.now() }];
  },
  async verify({ topo, fleet, checks, notes, probe }) {
    const from = (probe.samples[0]?.t ?? Date.now()) - 120_000;
    const to = Date.now() + 60_000;
    const acked = fleet.acked();
    const outOfOrder: string[] = [];
    const outOfWindow: string[] = [];
    const wrongLatest: string[] = [];
    for (const [i, k] of topo.kits.entries()) {
      const points = await deviceSeries(topo.stores.influx.directUrl, topo.influxDb, k.id);
      const late = points.filter((p) => p.time < from || p.time > to);
      if (late.length > 0)
        outOfWindow.push(
          `${k.id} (${CLOCKS[i % CLOCKS.length]?.kind}) ${late.length} points, e.g. ${new Date(late[0]?.time ?? 0).toISOString()}`,
        );
      for (let j = 1; j < points.length; j++) {
        const a = points[j - 1] as { boot: number; seq: number };
        const b = points[j] as { boot: number; seq: number };
        if (b.boot < a.boot || (b.boot === a.boot && b.seq < a.seq)) {
          outOfOrder.push(`${k.id}: ${a.boot}/${a.seq} before ${b.boot}/${b.seq}`);
          break;
        }
      }
      // Latest state (Redis, through the cloud API): the newest acknowledged (boot, seq).
      const mine = acked.filter((a) => a.id === k.id && a.seqs.length > 0);
      const boot = Math.max(...mine.map((a) => a.boot));
      const seq = Math.max(...(mine.find((a) => a.boot === boot)?.seqs ?? [-1]));
      const res = await fetch(`${topo.clouds[0]?.base}/v1/devices/${k.id}`, { headers: { authorization: `Bearer ${topo.viewerKey}` } });
      const body = (await res.json()) as { state?: { boot?: number; seq?: number } | null };
      if (body.state?.boot !== boot || body.state?.seq !== seq)
        wrongLatest.push(`${k.id}: ${body.state?.boot}/${body.state?.seq}, newest acked ${boot}/${seq}`);
    }
    checks.push({
      name: "each kit's history in (boot, seq) order",
      ok: outOfOrder.length === 0,
      detail: outOfOrder.slice(0, 4).join('; '),
    });
    checks.push({
      name: 'every reading placed inside the run (not at a wrong clock)',
      ok: outOfWindow.length === 0,
      detail: outOfWindow.slice(0, 4).join('; '),
    });
    checks.push({
      name: 'latest state = the newest (boot, seq)',
      ok: wrongLatest.length === 0,
      detail: wrongLatest.slice(0, 4).join('; '),
    });
    notes.push(`kits: ${CLOCKS.map((c) => (c.kind === 'offset' ? `${c.ms / HOUR} h` : c.kind)).join(', ')} (by index mod 4)`);
  },
};
