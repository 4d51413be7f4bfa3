import { SvError } from '../../shared/errors.js';
import { numberFlag } from '../bench/flags.js';
import type { Command, CommandContext } from '../command.js';

/** The knobs of a chaos run; absent ones come from the scenario's full (or --short) set. */
const FLAGS = [
  { flag: 'short', kind: 'bool' as const, help: 'Run the short (CI) version: few kits, seconds-long faults, short backoffs.' },
  { flag: 'kits', kind: 'string' as const, help: "Kits publishing during the run (default: the scenario's)." },
  { flag: 'rate', kind: 'string' as const, help: 'Telemetry messages per second per kit (default 1).' },
  { flag: 'fault-s', kind: 'string' as const, help: "Seconds each fault lasts (default: the scenario's, e.g. 60 for redis-down)." },
  { flag: 'warmup-s', kind: 'string' as const, help: 'Seconds of steady load before the fault.' },
  { flag: 'after-s', kind: 'string' as const, help: 'Seconds of load after recovery before the kits stop.' },
  { flag: 'kills', kind: 'string' as const, help: 'gateway-kill: how many kill -9 (default 20).' },
  { flag: 'quota-bytes', kind: 'string' as const, help: 'quota-outage: the gateway outbox quota in bytes.' },
  {
    flag: 'distinct-sources',
    kind: 'bool' as const,
    help: 'Kits connect from distinct 127.x.y.z addresses (a LAN), not all from 127.0.0.1.',
  },
  { flag: 'recover-timeout-s', kind: 'string' as const, help: 'Give up waiting for recovery or drain after this long (default 300).' },
  { flag: 'report', kind: 'string' as const, help: 'Results file to update (default docs/chaos-results.md; "-" = none).' },
  { flag: 'keep', kind: 'bool' as const, help: "Keep the run's work dir (logs of the gateway and clouds)." },
];

type Overrides = Partial<import('../../loadtest/chaos/scenario.js').ChaosParams>;

function overrides(ctx: CommandContext): Overrides {
  const o: Overrides = {};
  const set = (flag: string, key: keyof Overrides, min: number, max: number, integer = true) => {
    if (ctx.flags[flag] === undefined) return;
    (o as Record<string, number>)[key] = numberFlag(ctx, flag, 0, { min, max, integer });
  };
  set('kits', 'kits', 1, 15_000);
  set('rate', 'rate', 0.01, 20, false);
  set('fault-s', 'faultS', 1, 24 * 3600);
  set('warmup-s', 'warmupS', 0, 3600);
  set('after-s', 'afterS', 0, 3600);
  set('kills', 'kills', 1, 1000);
  set('quota-bytes', 'quotaBytes', 4096, 2 ** 40);
  set('recover-timeout-s', 'recoverTimeoutS', 10, 24 * 3600);
  if (ctx.flags['distinct-sources'] !== undefined) o.distinctSources = ctx.flags['distinct-sources'] === true;
  return o;
}

export const chaosCommand: Command = {
  name: 'chaos',
  summary: 'Fault scenarios under load with a loss audit: writes docs/chaos-results.md.',
  usage: 'sousvide chaos <scenario|all|list> [--short] [--kits N] [--fault-s S] [--kills N] [--report FILE] [--json]',
  flags: FLAGS,
  async run(ctx) {
    const { SCENARIOS, findScenario } = await import('../../loadtest/chaos/scenarios/index.js');
    const name = ctx.positionals[0];
    const names = SCENARIOS.map((s) => s.name).join(', ');
    if (name === undefined || ctx.positionals.length > 1)
      throw new SvError('SV_ERR_CLI_USAGE', `scenario: one of ${names}, all, list`, ['scenario: required (one name)']);
    if (name === 'list') {
      if (ctx.json) ctx.stdout.write(`${JSON.stringify(SCENARIOS.map((s) => ({ n: s.n, name: s.name, title: s.title })))}\n`);
      else for (const s of SCENARIOS) ctx.stdout.write(`${String(s.n).padStart(2)}  ${s.name.padEnd(22)}${s.title}\n`);
      return 0;
    }
    const chosen = name === 'all' ? SCENARIOS : [findScenario(name)];
    if (chosen.some((s) => s === undefined))
      throw new SvError('SV_ERR_CLI_USAGE', `unknown scenario "${name}" (one of ${names}, all, list)`, [`scenario: unknown "${name}"`]);
    const o = overrides(ctx);
    const report = typeof ctx.flags.report === 'string' ? ctx.flags.report : 'docs/chaos-results.md';
    const { runScenario } = await import('../../loadtest/chaos/runner.js');
    const { writeChaosReport, tableRow } = await import('../../loadtest/chaos/report.js');
    const out = ctx.json ? ctx.stderr : ctx.stdout;
    const log = (line: string) => out.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
    let failed = 0;
    const results = [];
    for (const scenario of chosen) {
      if (!scenario || ctx.stopSignal.aborted) continue;
      log(`chaos ${scenario.n}. ${scenario.name}: ${scenario.title}`);
      const r = await runScenario(scenario, {
        mode: ctx.flags.short === true ? 'short' : 'full',
        overrides: o,
        log,
        keepWorkDir: ctx.flags.keep === true,
      });
      if (report !== '-') writeChaosReport(report, r);
      out.write(`${tableRow(r)}\n`);
      for (const c of r.checks) out.write(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? ` (${c.detail})` : ''}\n`);
      if (!r.ok) failed++;
      results.push({ ...r, scenario: { n: scenario.n, name: scenario.name } });
    }
    if (ctx.json) ctx.stdout.write(`${JSON.stringify(results)}\n`);
    return failed > 0 ? 1 : 0;
  },
};
