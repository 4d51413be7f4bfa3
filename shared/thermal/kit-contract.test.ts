// The thermal simulator's kit against the kit's command contract (shared/fixtures/kit-contract-v1.json,
// the same cases the firmware's press scheduler replays in firmware/test/contract.test.ts).
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import type { KitContractCase } from '../scripts/kit-contract-source.js';
import type { KitBehaviour } from './params.js';
import { type SimAck, ThermalSim } from './simulator.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/kit-contract-v1.json', import.meta.url), 'utf8')) as {
  protocol: number;
  cases: KitContractCase[];
};

interface Observed {
  presses: number;
  acks: Omit<SimAck, 'afterMs'>[];
  heater: boolean;
}

/** What the Ack says (the fixture's fields); when it leaves is checked on its own below. */
const said = ({ afterMs: _afterMs, ...ack }: SimAck) => ack;

/** One case on a fresh simulated kit: every press the servo made, every Ack, the belief after. */
function replay(c: KitContractCase, behaviour: KitBehaviour): Observed {
  const sim = new ThermalSim({ behaviour, missProb: 0, servoLatencyMs: 1000 });
  sim.belief = c.before.heater;
  sim.heaterOn = c.before.heater;
  const delivery = { id: 'c-contract-1', ...c.command, expired: c.expired };
  const acks: Observed['acks'] = [];
  const first = sim.receive(delivery);
  if (first) acks.push(said(first));
  if (c.redelivered) {
    sim.step(100); // QoS 1 redelivery while the servo may still be on its way
    const again = sim.receive({ ...delivery });
    if (again) acks.push(said(again));
  }
  sim.step(5000); // every scheduled press has landed
  return { presses: sim.presses, acks, heater: sim.belief };
}

const want = (c: KitContractCase): Observed => ({ presses: c.outcome.presses, acks: [c.outcome.ack], heater: c.outcome.heater });

t.test('the fixture covers the contract', async (t) => {
  t.equal(fixture.protocol, 1);
  t.equal(fixture.cases.length, 24, 'belief × command × expired × redelivered');
  const pressesAgainstBelief = fixture.cases.filter(
    (c) => c.command.op === 'press' && !c.expired && (c.command.expect === 'on') === c.before.heater,
  );
  t.ok(
    pressesAgainstBelief.length >= 2 && pressesAgainstBelief.every((c) => c.outcome.presses === 1),
    'a press that repeats the believed state still presses once (the correction of a missed press)',
  );
});

t.test("the simulator's protocol kit follows every case", async (t) => {
  for (const c of fixture.cases) t.same(replay(c, 'protocol'), want(c), c.name);
});

t.test('the Ack leaves after the motion when the kit pressed, at once when it did not', async (t) => {
  for (const c of fixture.cases) {
    const sim = new ThermalSim({ missProb: 0, servoLatencyMs: 1000, ackAfterPressMs: 600 });
    sim.belief = c.before.heater;
    sim.heaterOn = c.before.heater;
    const ack = sim.receive({ id: 'c-contract-1', ...c.command, expired: c.expired });
    t.equal(ack?.afterMs, c.outcome.presses > 0 ? 1600 : 0, c.name);
  }
});

t.test('the fixture can fail: kits that break the contract are caught', async (t) => {
  const violations = (b: KitBehaviour) => fixture.cases.filter((c) => !isDeepStrictEqual(replay(c, b), want(c))).map((c) => c.name);
  const toggle = violations('toggle');
  t.ok(toggle.length >= 1, `a kit reading press as "toggle" violates ${toggle.length} cases`);
  t.ok(toggle.includes('believed on, press expect on'), 'it turns the heater believed on "off" when asked for on', { toggle });
  t.notOk(toggle.includes('believed off, safe'), 'safe is unaffected by that bug');
  const ignoreSafe = violations('ignore_safe');
  t.ok(ignoreSafe.includes('believed on, safe'), 'a kit that acks safe without pressing is caught', { ignoreSafe });
});
