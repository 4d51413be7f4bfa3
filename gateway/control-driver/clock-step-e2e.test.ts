import t, { type Test } from 'tap';
import type { KitParams } from '../../shared/thermal/params.js';
import { ThermalSim } from '../../shared/thermal/simulator.js';
import { waitFor } from '../../test/harness/index.js';
import { startGateway } from '../testing/fixture.js';
import { simKitOverMqtt } from '../testing/sim-kit.js';

/**
 * The wall clock steps (NTP's first sync on a Pi without a real-time clock, an operator's
 * `date -s`) while kits cook, over real MQTT/TLS in accelerated time. The simulator's time is the
 * monotonic clock; the gateway's wall clock is that plus a step the test sets. Control must go on
 * as if nothing happened, and what it records must carry the new wall time.
 */
const HOUR = 3_600_000;

/** `kitAheadMs`: the kit has a synced clock this far ahead of the gateway's wall clock (it then judges a press's age by sentTs). */
async function cooking(t: Test, params: Partial<KitParams>, id: string, kitAheadMs?: number) {
  const sim = new ThermalSim({ startC: 30, volumeL: 3, heaterW: 1500, heaterTauS: 60, seed: 11, ...params });
  let stepMs = 0;
  const gw = await startGateway(
    t,
    // The default limits (20 publishes a second per kit): they run on the monotonic clock too.
    { 'cloud.url': 'http://127.0.0.1:9', 'cloud.token': 'svg_unreachable-cloud-token-0000' },
    { now: () => sim.nowMs + stepMs, monoNow: () => sim.nowMs },
  );
  const kitClock = kitAheadMs === undefined ? undefined : () => sim.nowMs + kitAheadMs;
  const { received, second, api } = await simKitOverMqtt(t, gw, sim, id, kitClock);
  /** Steps the wall clock, and lets the gateway's 1 s tick see it. */
  const stepWall = async (ms: number) => {
    stepMs += ms;
    await new Promise((r) => setTimeout(r, 1200));
  };
  const events = (type: string) =>
    gw.db().prepare('SELECT ts, data FROM events WHERE device_id = ? AND type = ? ORDER BY ts').all(id, type) as {
      ts: number;
      data: string;
    }[];
  const wallNow = () => sim.nowMs + stepMs;
  return { sim, gw, received, api, second, stepWall, events, wallNow };
}

t.test('the wall clock steps back an hour while a kit ignores safe: safe keeps being repeated', async (t) => {
  const s = await cooking(t, { behaviour: 'ignore_safe' }, 'kit-deaf');
  for (let i = 0; i < 5; i++) await s.second();
  t.equal((await s.api('PUT', '/v1/devices/kit-deaf/cook', { targetC: 70 })).status, 200, 'a 70 °C cook starts');
  for (let i = 0; i < 3600 && s.sim.waterC < 55; i++) await s.second();
  // The target drops under the bath: the over-temperature fail-safe latches; the kit ignores it.
  t.equal((await s.api('PUT', '/v1/devices/kit-deaf/cook', { targetC: 40, durationMin: 60 })).status, 200, 'the target drops to 40 °C');
  for (let i = 0; i < 30 && !s.received.some((r) => r.cmd.op === 'safe'); i++) await s.second();
  t.ok(
    s.received.some((r) => r.cmd.op === 'safe'),
    'the fail-safe sent safe',
  );
  const beforeStep = s.wallNow();
  await s.stepWall(-HOUR);
  const stepS = s.sim.tMs / 1000;
  for (let i = 0; i < 5 * 60; i++) await s.second();
  const after = s.received.filter((r) => r.simS > stepS);
  t.same(
    after.filter((r) => r.cmd.op !== 'safe').map((r) => r.cmd.op),
    [],
    'no press after the step',
  );
  t.ok(after.length >= 3, `safe repeated ${after.length} times in the 5 minutes after the step (the back-off does not wait for the clock)`);
  const alarm = s.events('actuator_disobeys');
  t.equal(alarm.length, 1, 'the "actuator does not obey" alarm is raised');
  t.ok(alarm[0] !== undefined && alarm[0].ts < beforeStep, 'and recorded on the new wall clock');
  const metrics = await (await fetch(`http://127.0.0.1:${s.gw.httpPort}/metrics`)).text();
  const counter = (name: string) => Number(new RegExp(`^${name}_total (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
  t.equal(counter('clock_step'), 1, 'the step is counted once');
  t.equal(counter('rate_limited'), 0, 'no publish was refused by the rate limit after the step');
  t.equal(counter('auth_ok'), 1, 'the kit never had to reconnect');
});

/** A one-hour cook at 56 °C; the wall clock steps by `stepH` hours a minute after the bath reached the target. */
async function timedCook(t: Test, stepH: number) {
  const id = `kit-step-${stepH}`;
  const s = await cooking(t, {}, id);
  for (let i = 0; i < 5; i++) await s.second();
  t.equal((await s.api('PUT', `/v1/devices/${id}/cook`, { targetC: 56, durationMin: 60 })).status, 200, 'a 56 °C cook for 60 min');
  for (let i = 0; i < 3600 && s.events('reached').length === 0; i++) await s.second();
  t.equal(s.events('reached').length, 1, 'the bath reached its target');
  for (let i = 0; i < 60; i++) await s.second();
  const view = async () => (await s.api('GET', `/v1/devices/${id}`)).body as { cook: { state: string }; doneAt: number | null };
  const before = await view();
  await s.stepWall(stepH * HOUR);
  const stepS = s.sim.tMs / 1000;
  for (let i = 0; i < 5 * 60; i++) await s.second();
  const soon = await view();
  // Up to the moment control ends the cook (in memory, so both runs stop at the same reading).
  for (let i = 0; i < 3600 && s.gw.gateway.control.view(id)?.cook?.state !== 'done'; i++) await s.second();
  await waitFor('the done event committed', async () => (s.events('done').length > 0 ? true : undefined), 5000);
  return {
    s,
    before,
    soon,
    reachedTs: s.events('reached')[0]?.ts ?? 0,
    doneTs: s.events('done')[0]?.ts ?? null,
    /** Every command after the step, by simulated second: what control decided. */
    commands: s.received.filter((r) => r.simS > stepS).map((r) => `${r.simS} ${r.cmd.op} ${r.cmd.expect ?? ''}`),
  };
}

t.test('the wall clock steps forward three hours during a one-hour timed cook: control does what it would have done', async (t) => {
  const calm = await timedCook(t, 0);
  const r = await timedCook(t, 3);
  t.equal(r.soon.cook.state, 'holding', 'still holding five minutes after the step');
  t.same(
    r.s.events('press_missed').map((e) => e.data),
    [],
    'no working press was taken for a miss',
  );
  t.same(r.s.events('food_safety_alert'), [], 'the step did not count as hours in the danger zone');
  t.same(r.s.events('heater_stuck'), [], 'nor as a heater that ran for hours without a rise');
  const moved = (r.soon.doneAt ?? 0) - (r.before.doneAt ?? 0);
  t.ok(Math.abs(moved - 3 * HOUR) < 60_000, `done-at follows the wall clock: it moved by the step (${Math.round(moved / 60_000)} min)`);
  t.ok(calm.commands.length > 0, `the bath was held by presses (${calm.commands.length} commands in the hour)`);
  t.same(r.commands, calm.commands, 'the same commands at the same moments as without the step');
  t.ok(r.doneTs !== null && calm.doneTs !== null, 'both cooks are done');
  const late = (r.doneTs ?? 0) - (r.reachedTs + 3 * HOUR + HOUR);
  t.ok(Math.abs(late) < 5000, `done an hour after reaching the target, stamped on the new wall clock (${late} ms off)`);
});

t.test('a kit whose clock is an hour ahead of the gateway’s (a Pi before its NTP sync): the cook still heats', async (t) => {
  const s = await cooking(t, {}, 'kit-ahead', HOUR);
  for (let i = 0; i < 5; i++) await s.second();
  t.equal((await s.api('PUT', '/v1/devices/kit-ahead/cook', { targetC: 56, durationMin: 60 })).status, 200, 'a 56 °C cook starts');
  for (let i = 0; i < 300; i++) await s.second();
  const [first, ...rest] = s.received;
  t.ok(first?.cmd.sentTs !== undefined, 'the first press carried sentTs');
  const sender = (s.gw.gateway.control as unknown as { sender: { stats: { refused: number } } }).sender;
  t.equal(sender.stats.refused, 1, 'and the kit refused it, as an hour old');
  t.ok(rest.length > 0, `the gateway pressed again (${rest.length} commands)`);
  t.same(
    rest.filter((r) => r.cmd.sentTs !== undefined).map((r) => r.cmd.id),
    [],
    'without sentTs from then on: the kit counts the TTL from receipt',
  );
  t.ok(s.sim.waterC > 45, `the bath heats: ${s.sim.waterC.toFixed(1)} °C after five minutes (from 30 °C)`);
  const metrics = await (await fetch(`http://127.0.0.1:${s.gw.httpPort}/metrics`)).text();
  t.match(metrics, /^command_clock_skew_total 1$/m, 'the disagreement is counted once');
});
