import t, { type Test } from 'tap';
import type { KitParams } from '../../shared/thermal/params.js';
import { ThermalSim } from '../../shared/thermal/simulator.js';
import { startGateway } from '../testing/fixture.js';
import { simKitOverMqtt } from '../testing/sim-kit.js';

/**
 * Kits that do not behave, over real MQTT/TLS, in accelerated time: a kit that reads `press` as a
 * toggle (the case a kit written from the protocol page hit) and a kit that ignores `safe`. Every
 * command each kit receives is recorded with the bath at that moment; the gateway's clock is the
 * simulator's.
 */
async function scenario(t: Test, params: Partial<KitParams>, id: string) {
  const sim = new ThermalSim({ startC: 30, volumeL: 3, heaterW: 1500, heaterTauS: 60, seed: 9, ...params });
  const gw = await startGateway(
    t,
    { 'cloud.url': 'http://127.0.0.1:9', 'cloud.token': 'svg_unreachable-cloud-token-0000', 'mqtt.publishRatePerDevice': 0 },
    { now: () => sim.nowMs },
  );
  const { received, bath, second, api } = await simKitOverMqtt(t, gw, sim, id);
  for (let i = 0; i < 5; i++) await second();
  t.equal((await api('PUT', `/v1/devices/${id}/cook`, { targetC: 70 })).status, 200, 'a 70 °C cook starts');
  for (let i = 0; i < 3600 && sim.waterC < 55; i++) await second();
  t.ok(sim.heaterOn, 'heating at full power at 55 °C');
  // The target drops under the bath: over-temperature (limit 43 °C) while the element holds its heat.
  t.equal((await api('PUT', `/v1/devices/${id}/cook`, { targetC: 40, durationMin: 60 })).status, 200, 'the target drops to 40 °C');
  const from = received.length;
  for (let i = 0; i < 30 && !received.slice(from).some((r) => r.cmd.op === 'safe'); i++) await second();
  const first = received.slice(from).find((r) => r.cmd.op === 'safe');
  t.ok(first, 'the fail-safe decision reached the kit as safe');
  return { sim, gw, received, bath, second, api, failSafeS: first?.simS ?? Number.POSITIVE_INFINITY };
}

t.test('a kit that reads press as a toggle: from the fail-safe on it receives only safe, and the bath stays safe', async (t) => {
  const s = await scenario(t, { behaviour: 'toggle' }, 'kit-toggle');
  for (let i = 0; i < 15 * 60; i++) await s.second();
  const latched = s.gw.gateway.control.view('kit-toggle');
  const after = s.received.filter((r) => r.simS >= s.failSafeS);
  const releaseRow = s.gw.db().prepare("SELECT ts FROM events WHERE type = 'fail_safe_released'").get() as { ts: number } | undefined;
  const releaseS = releaseRow ? (releaseRow.ts - s.sim.p.startEpochMs) / 1000 : Number.POSITIVE_INFINITY;
  const during = after.filter((r) => r.simS < releaseS);
  t.same(
    during.filter((r) => r.cmd.op !== 'safe').map((r) => `${r.simS}: ${r.cmd.op} ${r.cmd.expect ?? ''}`),
    [],
    `only safe reached the kit while latched (${during.length} commands)`,
  );
  let longest = 0;
  let run = 0;
  for (const b of s.bath.filter((b) => b.simS >= s.failSafeS)) {
    run = b.on && b.waterC > 43 ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  t.ok(longest <= 5, `the heater was on over the 43 °C limit for at most ${longest} s in a row after the fail-safe`);
  const peak = Math.max(...s.bath.filter((b) => b.simS >= s.failSafeS).map((b) => b.waterC));
  t.ok(peak < 65, `the bath peaked at ${peak.toFixed(2)} °C (the element's stored heat, no press back on)`);
  t.ok(latched, 'the kit is known to control');
  // Each action is audited once: one audit row per command sent.
  const rows = s.gw.db().prepare("SELECT action, data FROM audit WHERE action IN ('safe', 'press_on', 'press_off')").all() as {
    action: string;
    data: string;
  }[];
  const ids = rows.map((r) => (JSON.parse(r.data) as { commandId?: string }).commandId);
  t.equal(ids.filter((x) => x === undefined).length, 0, 'every press and safe audit row names its command');
  t.equal(new Set(ids).size, ids.length, 'no command is audited twice');
  t.equal(ids.length, new Set(s.received.map((r) => r.cmd.id)).size, `one audit row per command the kit received (${ids.length})`);
  // The servo's record can never pass 100 %.
  const view = (await s.api('GET', '/v1/devices/kit-toggle')).body.control as {
    actuator: { confirmed: number; judged: number; successRate: number | null };
  };
  t.ok(view.actuator.judged >= view.actuator.confirmed, `${view.actuator.confirmed} of ${view.actuator.judged} judged presses confirmed`);
  t.ok(view.actuator.successRate === null || view.actuator.successRate <= 1, 'the ratio is at most 100 %');
});

t.test('a kit that ignores safe: safe repeated, a critical alarm, never a press', async (t) => {
  const s = await scenario(t, { behaviour: 'ignore_safe' }, 'kit-deaf');
  for (let i = 0; i < 5 * 60; i++) await s.second();
  const after = s.received.filter((r) => r.simS >= s.failSafeS);
  t.same(after.filter((r) => r.cmd.op !== 'safe').length, 0, 'no press after the fail-safe decision');
  t.ok(after.length >= 3, `safe was repeated while the bath kept rising (${after.length})`);
  const alarm = s.gw.db().prepare("SELECT severity FROM events WHERE type = 'actuator_disobeys'").all() as { severity: string }[];
  t.same(alarm, [{ severity: 'critical' }], 'one critical "actuator does not obey" alarm');
});
