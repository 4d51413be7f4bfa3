import type { Scenario } from '../scenario.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CONTROLLED = 2;

/**
 * 4. The cloud unreachable (every connection on the gateway → cloud link reset) for `faultS`. The
 * gateway keeps controlling: halfway through the outage a cook is started at the kitchen (the
 * gateway's local API) on kits that listen to their command topic, and the press command must
 * reach them while the cloud is still gone. After the repair the backlog drains.
 */
export const cloudUnreachable: Scenario = {
  n: 4,
  name: 'cloud-unreachable',
  title: 'Cloud unreachable (gateway keeps controlling, backlog drains after)',
  short: { kits: 6, warmupS: 3, faultS: 8, afterS: 3, fast: true, recoverTimeoutS: 90 },
  full: { kits: 50, warmupS: 15, faultS: 600, afterS: 15, recoverTimeoutS: 900 },
  needs: () => ({ kit: (k, i) => ({ ...k, commands: i < CONTROLLED }) }),
  async run({ topo, fleet, params, log, checks, notes }) {
    log(`fault: gateway → cloud link refuses every connection for ${params.faultS} s`);
    const injectedAt = Date.now();
    topo.link.set({ kind: 'refuse' });
    await sleep((params.faultS * 1000) / 2);
    const controlled = topo.kits.slice(0, CONTROLLED).map((k) => k.id);
    const cookAt = Date.now();
    for (const id of controlled) {
      const res = await fetch(`${topo.gateway.base}/v1/devices/${id}/cook`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${topo.operatorToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ targetC: 58 }),
      });
      checks.push({
        name: `cook started at the kitchen on ${id} during the outage`,
        ok: res.ok,
        detail: res.ok ? undefined : await res.text(),
      });
    }
    await sleep((params.faultS * 1000) / 2);
    const healedAt = Date.now();
    const during = fleet.commands.filter((c) => controlled.includes(c.kit) && c.at >= cookAt && c.at < healedAt);
    for (const id of controlled) {
      const got = during.filter((c) => c.kit === id);
      checks.push({
        name: `a control command reached ${id} while the cloud was unreachable`,
        ok: got.length > 0,
        detail: got.map((c) => `${c.op} +${((c.at - cookAt) / 1000).toFixed(1)} s after the cook`).join(', '),
      });
    }
    notes.push(
      `control during the outage: ${during.map((c) => `${c.kit} got "${c.op}" ${((c.at - cookAt) / 1000).toFixed(1)} s after the cook started`).join('; ') || 'no command'}`,
    );
    topo.link.set({ kind: 'pass' });
    log('repaired: link passes again');
    return [{ label: 'cloud unreachable', injectedAt, healedAt }];
  },
};
