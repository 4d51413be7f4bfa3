import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import pino from 'pino';
import t, { type Test } from 'tap';
import type { CookSpec } from '../../shared/cook.js';
import { SteadyClock } from '../../shared/time/steady-clock.js';
import { SafetyTracker } from '../control/forecast/safe-at.js';
import { DEFAULT_CONTROL } from '../control/index.js';
import type { ControlEvent, Decision } from '../control/types.js';
import { StoreReader } from '../store/reader.js';
import { StoreWriter } from '../store/writer.js';
import type { CommandSender } from './command-sender.js';
import { ControlLoop, RESUME_RECONNECT_GRACE_MS } from './control-loop.js';
import { RecordSink } from './record-sink.js';

/**
 * A gateway restart in the middle of a cook, with the real store in a temp dir and control on a
 * hand-driven clock: the cook resumes in its phase (holding keeps its timer, done keeps being held),
 * a kit that never reports again is flagged offline, and the pasteurization model is not cold.
 */
const KIT = 'kit-resume';
const MIN = 60_000;
const T0 = Date.parse('2026-12-05T12:00:00Z');

interface Told {
  type: string;
  ts: number;
  data: Record<string, unknown>;
}

/** One gateway life: its store, its control loop and what they sent and told. */
async function life(t: Test, dir: string, clock: { ms: number }, holdAfterDone = true) {
  const store = new StoreWriter(dir);
  await store.open();
  const reader = new StoreReader(dir);
  reader.start();
  const steady = new SteadyClock(
    () => clock.ms,
    () => clock.ms,
  );
  const told: Told[] = [];
  const sent: Decision[] = [];
  class Capture extends RecordSink {
    override event(deviceId: string | null, e: ControlEvent, ts: number, ctx = { cooking: false }): string {
      told.push({ type: e.type, ts, data: e.data });
      return super.event(deviceId, e, ts, ctx);
    }
  }
  const sink = new Capture(
    store,
    () => false,
    (err) => t.error(err),
  );
  let n = 0;
  const sender = {
    send: (_id: string, d: Exclude<Decision, { kind: 'none' }>) => {
      sent.push(d);
      n++;
      return { id: `cmd-${n}`, op: d.kind === 'safe' ? 'safe' : 'press', ...(d.kind === 'press' ? { expect: d.expect } : {}) };
    },
    clockStepped: () => {},
  } as unknown as CommandSender;
  const cfg = { ...DEFAULT_CONTROL, engine: { ...DEFAULT_CONTROL.engine, holdAfterDone } };
  const loop = new ControlLoop(sender, sink, pino({ level: 'silent' }), steady, undefined, cfg);
  // The loop's 1 s tick, driven by hand.
  let tick: (() => void) | undefined;
  const real = globalThis.setInterval;
  globalThis.setInterval = ((fn: () => void) => {
    tick = fn;
    return { unref: () => {} };
  }) as unknown as typeof setInterval;
  try {
    loop.start();
  } finally {
    globalThis.setInterval = real;
  }
  let seq = 0;
  let stopped = false;
  const boot = 1;
  return {
    loop,
    reader,
    told,
    sent,
    of: (type: string) => told.filter((e) => e.type === type),
    /** One reading, seen by control and stored (as ingest does), then one second passes with a tick. */
    reading(tempC: number, heater = false) {
      seq++;
      const rxTs = clock.ms;
      store.write(
        { t: 'tel', deviceId: KIT, boot, seq, ts: rxTs, rxTs, tempC, sensor: 'ok', heater, rssi: undefined, outbox: null },
        (err) => err && t.error(err),
      );
      loop.onReading(KIT, { v: 1, boot, seq, ts: rxTs, tempC, sensor: 'ok', heater, rssi: -50 }, rxTs);
      clock.ms += 1000;
      tick?.();
    },
    /** Seconds without a reading (ticks only). */
    silence(seconds: number) {
      for (let i = 0; i < seconds; i++) {
        clock.ms += 1000;
        tick?.();
      }
    },
    /** The gateway stops: everything written is committed. */
    async stop() {
      if (stopped) return;
      stopped = true;
      loop.stop();
      await new Promise((r) => setImmediate(r));
      await store.close();
      reader.stop();
    },
  };
}

/** A bath held around `c` (±1 quantum, so the probe never looks frozen). */
const around = (c: number, i: number) => c + ((i % 3) - 1) * 0.0625;

async function setup(t: Test, holdAfterDone = true) {
  const dir = mkdtempSync(join(tmpdir(), 'sv-resume-'));
  const clock = { ms: T0 };
  const first = await life(t, dir, clock, holdAfterDone);
  let current = first;
  t.teardown(() => current.stop());
  return {
    clock,
    dir,
    first,
    /** The gateway restarts `downMs` later and loads the running cooks. */
    async restart(downMs: number) {
      await current.stop();
      clock.ms += downMs;
      const next = await life(t, dir, clock, holdAfterDone);
      current = next;
      const stored = next.reader.runningCooks();
      const resumed = next.loop.resumeFrom(stored, (id, from) => next.reader.readingsSince(id, from));
      return { ...next, stored, resumed };
    },
  };
}

function start(g: Awaited<ReturnType<typeof life>>, spec: CookSpec) {
  const r = g.loop.startCook(KIT, spec, { type: 'user' });
  if (!r.ok) throw new Error(r.reason);
}

t.test('a done cook with holdAfterDone: after a restart the bath is held again, without a second done', async (t) => {
  const s = await setup(t);
  start(s.first, { targetC: 60, durationMin: 10 });
  for (let i = 0; i < 11 * 60 && s.first.of('done').length === 0; i++) s.first.reading(around(60, i));
  t.equal(s.first.of('done').length, 1, 'done before the restart');
  for (let i = 0; i < 5 * 60; i++) s.first.reading(around(60, i)); // held 5 more min after done
  const g = await s.restart(10 * MIN);
  t.match(g.stored, [{ state: 'done' }], 'the done cook is loaded');
  t.equal(g.resumed, 1, 'and resumed');
  // The water cooled while the gateway was down, and keeps cooling.
  for (let i = 0; i < 120 && !g.sent.some((d) => d.kind === 'press' && d.expect === 'on'); i++) g.reading(59 - i * 0.02);
  t.ok(
    g.sent.some((d) => d.kind === 'press' && d.expect === 'on'),
    'readings below the target lead to an on-press',
  );
  t.same(g.of('done'), [], 'no second done');
  t.same(g.of('reached'), [], 'no second reached');
  t.equal(g.loop.view(KIT)?.cook?.state, 'done', 'the cook stays done');
});

t.test('a done cook without holdAfterDone is left done after a restart', async (t) => {
  const s = await setup(t, false);
  start(s.first, { targetC: 60, durationMin: 10 });
  for (let i = 0; i < 11 * 60 && s.first.of('done').length === 0; i++) s.first.reading(around(60, i));
  t.equal(s.first.of('done').length, 1, 'done before the restart');
  const g = await s.restart(10 * MIN);
  t.equal(g.resumed, 0, 'nothing resumed');
  for (let i = 0; i < 120; i++) g.reading(59 - i * 0.02);
  t.same(
    g.sent.filter((d) => d.kind === 'press'),
    [],
    'no press',
  );
  t.same(
    g.told.map((e) => e.type).filter((e) => e !== 'forecast'),
    [],
    'nothing told',
  );
});

t.test('a restart during the hold: no second reached, and done at reached + duration', async (t) => {
  const s = await setup(t);
  start(s.first, { targetC: 60, durationMin: 120 });
  for (let i = 0; i < 60 && s.first.of('reached').length === 0; i++) s.first.reading(around(60, i));
  const reachedTs = s.first.of('reached')[0]?.ts;
  t.ok(reachedTs, 'reached before the restart');
  // 100 min into the 120 min hold, readings every 10 s (ticks in between).
  for (let i = 0; i < 600; i++) {
    s.first.reading(around(60, i));
    s.first.silence(9);
  }
  const g = await s.restart(2 * MIN);
  t.match(g.stored, [{ state: 'holding', reachedTs }], 'the stored cook keeps when it reached its target');
  for (let i = 0; i < 40 * 60 && g.of('done').length === 0; i++) g.reading(around(60, i));
  t.same(g.of('reached'), [], 'the water being ready is not told again');
  const done = g.of('done')[0]?.ts ?? Number.NaN;
  const late = done - ((reachedTs ?? 0) + 120 * MIN);
  t.ok(late >= 0 && late <= 1000, `done at reached + 120 min, within a tick (${late} ms off)`);
});

t.test('a resumed cook whose kit never reports again is flagged offline after the reconnect grace and the timeout', async (t) => {
  const s = await setup(t);
  start(s.first, { targetC: 60 });
  for (let i = 0; i < 60; i++) s.first.reading(around(60, i));
  const g = await s.restart(MIN);
  const restartMs = s.clock.ms;
  g.silence(90);
  const offline = g.of('offline');
  t.equal(offline.length, 1, 'one offline event');
  // The kits' reconnection after the restart, then the usual timeout.
  const limitMs = RESUME_RECONNECT_GRACE_MS + DEFAULT_CONTROL.watchdog.offlineIntervals * DEFAULT_CONTROL.watchdog.expectedIntervalMs;
  const after = (offline[0]?.ts ?? 0) - restartMs;
  t.ok(after > limitMs && after <= limitMs + 1000, `after the offline timeout from the restart (${after} ms)`);
  t.match(offline[0]?.data, { via: 'timeout' });
  // It comes back: online, and the cook resumes.
  g.reading(60);
  t.equal(g.of('online').length, 1, 'online again on its first reading');
  t.equal(g.of('resumed').length, 1, 'and the cook resumes');
});

t.test('a target change after reached clears the stored reached time: a restart waits for the new target', async (t) => {
  const s = await setup(t);
  start(s.first, { targetC: 60, durationMin: 120 });
  for (let i = 0; i < 60 && s.first.of('reached').length === 0; i++) s.first.reading(around(60, i));
  t.equal(s.first.of('reached').length, 1, 'reached 60 °C');
  for (let i = 0; i < 60; i++) s.first.reading(around(60, i));
  start(s.first, { targetC: 65, durationMin: 120 });
  for (let i = 0; i < 30; i++) s.first.reading(around(60, i));
  const g = await s.restart(MIN);
  t.match(g.stored, [{ state: 'holding' }], 'the cook is loaded, holding');
  t.equal(g.stored[0]?.reachedTs, null, 'with its stored reached time cleared');
  for (let i = 0; i < 60; i++) g.reading(around(60, i));
  t.same(g.of('reached'), [], 'not reached at the old target');
  for (let i = 0; i < 60 && g.of('reached').length === 0; i++) g.reading(around(65, i));
  t.match(g.of('reached'), [{ data: { targetC: 65 } }], 'reached at the new one');
  const again = await s.restart(0);
  t.equal(again.stored[0]?.reachedTs, g.of('reached')[0]?.ts, 'and that reached time is stored');
});

t.test(
  'a cook pasteurized before the restart is not told pasteurized again: its core model is rebuilt from the stored readings',
  async (t) => {
    const s = await setup(t);
    start(s.first, { targetC: 62, foodKind: 'poultry', thicknessMm: 10 });
    // A reading a second until the model has the core pasteurized (forecasts leave after a reading's step).
    for (let i = 0; i < 3 * 3600 && s.first.of('pasteurized').length === 0; i++) {
      s.first.reading(around(62, i));
      if (i % 30 === 0) await new Promise((r) => setImmediate(r));
    }
    t.equal(s.first.of('pasteurized').length, 1, 'pasteurized before the restart');
    const g = await s.restart(MIN);
    for (let i = 0; i < 1800; i++) {
      g.reading(around(62, i));
      if (i % 30 === 0) await new Promise((r) => setImmediate(r));
    }
    t.ok(g.of('forecast').length > 0, 'forecasts are published after the restart');
    t.same(g.of('pasteurized'), [], 'no second pasteurized');
    t.equal(g.loop.view(KIT)?.safety?.pasteurized, true, 'the model still has the core pasteurized');
  },
);

t.test('a cook stopped after a restart, before its kit reports again, is not taken up by that report', async (t) => {
  const s = await setup(t);
  start(s.first, { targetC: 60, durationMin: 120 });
  for (let i = 0; i < 120; i++) s.first.reading(around(60, i));
  const g = await s.restart(MIN);
  t.equal(g.resumed, 1, 'the holding cook is loaded');
  const stop = g.loop.stopCook(KIT, { type: 'user' });
  t.ok(stop.ok, 'and stopped before any reading');
  for (let i = 0; i < 120; i++) g.reading(58 - i * 0.01);
  t.same(
    g.sent.filter((d) => d.kind === 'press' && d.expect === 'on'),
    [],
    'the next readings press nothing on',
  );
  t.equal(g.loop.view(KIT)?.cook?.state, 'stopped', 'the cook stays stopped');
});

t.test('a done row without its done time (stored before the times were kept) is not held again', async (t) => {
  const s = await setup(t);
  start(s.first, { targetC: 60, durationMin: 10 });
  for (let i = 0; i < 11 * 60 && s.first.of('done').length === 0; i++) s.first.reading(around(60, i));
  await s.first.stop();
  // What an older gateway left: the row done, no reached or done time; the kit idle in cold water since.
  const db = new Sqlite(join(s.dir, 'gateway.sqlite'));
  db.prepare('UPDATE cooks SET reached_ts = NULL, done_ts = NULL').run();
  db.close();
  const g = await s.restart(21 * 24 * 60 * MIN);
  t.match(g.stored, [{ state: 'done', doneTs: null }], 'the row is read');
  t.equal(g.resumed, 0, 'and not resumed');
  for (let i = 0; i < 120; i++) g.reading(21);
  t.same(
    g.sent.filter((d) => d.kind === 'press'),
    [],
    'no press on a kit idle in cold water',
  );
});

t.test('safe-at counts from when the water was ready (the food goes in then), not from the cold start', async (t) => {
  const s = await setup(t);
  const food = { foodKind: 'poultry', foodShape: 'slab', thicknessMm: 15 } as const;
  start(s.first, { targetC: 60, ...food });
  // A 20 min heat-up from 20 °C, then the bath held at 60 °C; a reading a second.
  let c = 20;
  for (let i = 0; i < 4 * 3600 && s.first.of('pasteurized').length === 0; i++) {
    c = Math.min(60, c + 1 / 30);
    s.first.reading(c < 60 ? c : around(60, i));
    if (i % 30 === 0) await new Promise((r) => setImmediate(r));
  }
  const reached = s.first.of('reached')[0]?.ts;
  const pasteurized = s.first.of('pasteurized')[0]?.ts;
  t.ok(reached && pasteurized, 'reached, then pasteurized');
  // The same core, fridge-cold into water held at 60 °C from the moment it was ready.
  const ref = new SafetyTracker('ref', { kind: 'poultry', shape: 'slab', thicknessMm: 15 });
  let ms = reached as number;
  while (ref.pasteurizedAtMs === null && ms < (reached as number) + 12 * 3600_000) {
    ref.onBath(ms, 60);
    ms += 1000;
  }
  // The bath between two readings counts as the lower one (shared/food-safety/core-track.ts): a bath
  // jittering ±0.0625 °C around 60 °C is taken a little below it, so a little later, never earlier.
  const off = (pasteurized as number) - (ref.pasteurizedAtMs as number);
  t.ok(off >= 0 && off <= 120_000, `pasteurized when a core put in at ready is, or a little later (${Math.round(off / 1000)} s)`);
});

t.test('a food changed after reached: a restart replays the new piece from the change, not from reached', async (t) => {
  const s = await setup(t);
  const food = { foodKind: 'poultry', foodShape: 'slab', thicknessMm: 20 } as const;
  start(s.first, { targetC: 60, ...food });
  for (let i = 0; i < 60 && s.first.of('reached').length === 0; i++) s.first.reading(around(60, i));
  const reachedTs = s.first.of('reached')[0]?.ts as number;
  t.ok(reachedTs, 'reached');
  for (let i = 0; i < 180; i++) {
    s.first.reading(around(60, i)); // 30 min held, a reading every 10 s
    s.first.silence(9);
  }
  const changeTs = s.clock.ms;
  start(s.first, { targetC: 60, ...food, thicknessMm: 10 }); // a thinner piece: same target, new core
  for (let i = 0; i < 90; i++) {
    s.first.reading(around(60, i));
    s.first.silence(9);
  }
  const before = s.first.loop.view(KIT)?.safety?.lethality ?? Number.NaN;
  const g = await s.restart(MIN);
  t.equal(g.stored[0]?.foodInTs, changeTs, 'the stored cook says the food in the bath went in at the change');
  g.reading(around(60, 0));
  const after = g.loop.view(KIT)?.safety?.lethality ?? Number.NaN;
  t.ok(before > 0 && after <= before + 0.05, `the replayed core is the new piece's (${before} before, ${after} after the restart)`);
});
