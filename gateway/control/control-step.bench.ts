/**
 * The control step's cost per telemetry reading: 2,000 kits in a hold, each driven by its own
 * simulated bath (the heater follows the decisions), interleaved rounds of this build and,
 * with `--baseline <dist/gateway/control/index.js of another build>`, of that build too.
 * Compare the ratio within one run, not the ns. Run: npx tsx gateway/control/control-step.bench.ts
 */
import * as current from './index.js';

type Control = Pick<typeof current, 'controlStep' | 'initialControlState'>;
type State = current.DeviceControlState;

const KITS = 2000;
const WARM_S = 300;
const ROUND_S = 60;
const ROUNDS = 8;

interface Fleet {
  control: Control;
  states: State[];
  tempC: Float64Array;
  heater: Uint8Array;
  nowMs: number;
}

function fleet(control: Control): Fleet {
  const f: Fleet = { control, states: [], tempC: new Float64Array(KITS), heater: new Uint8Array(KITS), nowMs: 1_700_000_000_000 };
  for (let i = 0; i < KITS; i++) {
    const r = control.controlStep(control.initialControlState(), { kind: 'cook_start', spec: { targetC: 56 + (i % 5) } }, f.nowMs);
    f.states.push(r.state);
    f.tempC[i] = 50 + (i % 7);
  }
  return f;
}

/** One simulated second for every kit; returns the ns spent in controlStep per reading. */
function second(f: Fleet): number {
  f.nowMs += 1000;
  let ns = 0n;
  for (let i = 0; i < KITS; i++) {
    const on = f.heater[i] === 1;
    const t = (f.tempC[i] as number) + (on ? 0.02 : -0.003);
    f.tempC[i] = t;
    const reading = { tempC: Math.round(t * 16) / 16, sensor: 'ok' as const, heater: on, boot: 1 };
    const t0 = process.hrtime.bigint();
    const r = f.control.controlStep(f.states[i] as State, { kind: 'telemetry', reading }, f.nowMs);
    ns += process.hrtime.bigint() - t0;
    f.states[i] = r.state;
    if (r.decision.kind === 'press') f.heater[i] = r.decision.expect === 'on' ? 1 : 0;
    else if (r.decision.kind === 'safe') f.heater[i] = 0;
  }
  return Number(ns) / KITS;
}

const baselineAt = process.argv.indexOf('--baseline');
const builds: [string, Fleet][] = [['this build', fleet(current)]];
if (baselineAt > 0) builds.unshift(['baseline', fleet((await import(process.argv[baselineAt + 1] as string)) as Control)]);
for (const [, f] of builds) for (let s = 0; s < WARM_S; s++) second(f);
const results = new Map<string, number[]>(builds.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, f] of round % 2 === 0 ? builds : [...builds].reverse()) {
    let sum = 0;
    for (let s = 0; s < ROUND_S; s++) sum += second(f);
    results.get(name)?.push(sum / ROUND_S);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
for (const [name, xs] of results) {
  console.log(`${name}: median ${median(xs).toFixed(0)} ns a reading (rounds: ${xs.map((x) => x.toFixed(0)).join(' ')})`);
}
