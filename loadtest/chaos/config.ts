import { z } from 'zod';
import { defineConfig } from '../../shared/config/load.js';
import { intOption, numberOption } from '../../shared/config/options.js';
import { opt } from '../../shared/config/spec.js';

const SCENARIO = "the scenario's";

/**
 * `sousvide chaos` options (docs/config.md is generated from this). The knobs of a run have no
 * default of their own: an absent one comes from the scenario's full (or `--short`) set.
 */
export const chaosConfig = defineConfig(
  'chaos',
  'SV_CHAOS_',
  {
    short: opt(z.boolean(), {
      kind: 'bool',
      default: false,
      help: 'Run the short (CI) version: few kits, seconds-long faults, short backoffs.',
    }),
    kits: intOption(1, 15_000, { defaultHelp: SCENARIO, help: 'Kits publishing during the run.' }),
    rate: numberOption(0.01, 20, { defaultHelp: SCENARIO, help: 'Telemetry messages per second per kit.' }),
    faultS: intOption(1, 24 * 3600, { unit: 's', defaultHelp: SCENARIO, help: 'Seconds each fault lasts (e.g. 60 for redis-down).' }),
    warmupS: intOption(0, 3600, { unit: 's', defaultHelp: SCENARIO, help: 'Seconds of steady load before the fault.' }),
    afterS: intOption(0, 3600, { unit: 's', defaultHelp: SCENARIO, help: 'Seconds of load after recovery before the kits stop.' }),
    kills: intOption(1, 1000, { defaultHelp: SCENARIO, help: 'gateway-kill: how many kill -9.' }),
    quotaBytes: intOption(4096, 2 ** 40, { unit: 'bytes', defaultHelp: SCENARIO, help: 'quota-outage: the gateway outbox quota.' }),
    distinctSources: opt(z.boolean().optional(), {
      kind: 'bool',
      defaultHelp: SCENARIO,
      help: 'Kits connect from distinct 127.x.y.z addresses (a LAN), not all from 127.0.0.1.',
    }),
    recoverTimeoutS: intOption(10, 24 * 3600, {
      unit: 's',
      defaultHelp: SCENARIO,
      help: 'Give up waiting for recovery or drain after this long.',
    }),
    report: opt(z.string().min(1), {
      kind: 'string',
      unit: 'path',
      default: 'docs/chaos-results.md',
      help: 'Results file to update ("-" = none).',
    }),
    keep: opt(z.boolean(), { kind: 'bool', default: false, help: "Keep the run's work dir (logs of the gateway and clouds)." }),
    commit: opt(z.string().min(1).optional(), {
      kind: 'string',
      defaultHelp: "the checkout's HEAD",
      help: 'The commit the results name (a run from an exported tree, without git).',
    }),
  },
  { usage: true },
);
