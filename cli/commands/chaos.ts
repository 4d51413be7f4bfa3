import { chaosConfig } from '../../loadtest/chaos/config.js';
import type { ChaosParams } from '../../loadtest/chaos/scenario.js';
import type { ConfigOf } from '../../shared/config/spec.js';
import { SvError } from '../../shared/errors.js';
import { checkWritableFile } from '../../shared/fs/paths.js';
import type { Command } from '../command.js';
import { configFor } from '../run.js';

/** The knobs given on the command line; absent ones come from the scenario's full (or --short) set. */
function overrides(c: ConfigOf<typeof chaosConfig.spec>): Partial<ChaosParams> {
  const given = {
    kits: c.kits,
    rate: c.rate,
    faultS: c.faultS,
    warmupS: c.warmupS,
    afterS: c.afterS,
    kills: c.kills,
    quotaBytes: c.quotaBytes,
    recoverTimeoutS: c.recoverTimeoutS,
    distinctSources: c.distinctSources,
  };
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
}

export const chaosCommand: Command = {
  name: 'chaos',
  args: 1,
  summary: 'Fault scenarios under load with a loss audit: writes docs/chaos-results.md.',
  usage: 'sousvide chaos <scenario|all|list> [--short] [--kits N] [--fault-s S] [--kills N] [--report FILE] [--json]',
  config: chaosConfig,
  async run(ctx) {
    const config = configFor(chaosConfig, ctx);
    const { SCENARIOS, findScenario } = await import('../../loadtest/chaos/scenarios/index.js');
    const name = ctx.positionals[0];
    const names = SCENARIOS.map((s) => s.name).join(', ');
    if (name === undefined)
      throw new SvError('SV_ERR_CLI_USAGE', `scenario: one of ${names}, all, list`, ['scenario: required (one name)']);
    if (name === 'list') {
      if (ctx.json) ctx.stdout.write(`${JSON.stringify(SCENARIOS.map((s) => ({ n: s.n, name: s.name, title: s.title })))}\n`);
      else for (const s of SCENARIOS) ctx.stdout.write(`${String(s.n).padStart(2)}  ${s.name.padEnd(22)}${s.title}\n`);
      return 0;
    }
    const chosen = name === 'all' ? SCENARIOS : [findScenario(name)];
    if (chosen.some((s) => s === undefined))
      throw new SvError('SV_ERR_CLI_USAGE', `unknown scenario "${name}" (one of ${names}, all, list)`, [`scenario: unknown "${name}"`]);
    const o = overrides(config);
    const report = config.report;
    if (report !== '-') checkWritableFile(report, '--report'); // before the scenarios, not after them
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
        mode: config.short ? 'short' : 'full',
        overrides: o,
        log,
        keepWorkDir: config.keep,
      });
      if (report !== '-') writeChaosReport(report, r, config.commit);
      out.write(`${tableRow(r)}\n`);
      for (const c of r.checks) out.write(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? ` (${c.detail})` : ''}\n`);
      if (!r.ok) failed++;
      results.push({ ...r, scenario: { n: scenario.n, name: scenario.name } });
    }
    if (ctx.json) ctx.stdout.write(`${JSON.stringify(results)}\n`);
    return failed > 0 ? 1 : 0;
  },
};
