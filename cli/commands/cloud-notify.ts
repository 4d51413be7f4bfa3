import { cloudConfig } from '../../cloud/config.js';
import type { ConfigKeyCounts } from '../../cloud/stores/types.js';
import type { Command } from '../command.js';
import { configFor } from '../run.js';
import { print, withMeta } from './cloud-admin.js';

/** What the counts mean for a rotation of notify.secretsKey (ADR 077): counts only, never a key. */
function verdict(c: ConfigKeyCounts, previousKeys: number): string {
  const lines = [
    `channel configs: ${c.current} open with notify.secretsKey, ${c.previous} only with a previous key, ${c.plain} stored plain, ${c.unreadable} with no key given`,
  ];
  if (c.previous > 0) {
    lines.push('keep notify.previousSecretsKeys: restart an instance with this notify.secretsKey to seal them again');
  } else if (previousKeys > 0) {
    lines.push(
      'none opens only with a previous key: notify.previousSecretsKeys can be removed once every instance runs with this notify.secretsKey',
    );
  }
  if (c.unreadable > 0) lines.push('some open with no key given: notify.secretsKey or notify.previousSecretsKeys is missing a key');
  return lines.join('\n');
}

/**
 * `sousvide cloud notify keys`: which key opens the stored channel configs; no channel row is
 * changed (like every `sousvide cloud` command it applies pending schema migrations first).
 */
export const cloudNotifyCommand: Command = {
  name: 'notify',
  summary: "The orgs' notification channels at rest.",
  usage: 'sousvide cloud notify keys [--json]',
  subcommands: [
    {
      name: 'keys',
      summary:
        'Count the channel configs by the key that opens them (notify.secretsKey, a previous key, none, or stored plain); changes no channel. Run it with the cloud config.',
      usage: 'sousvide cloud notify keys [--json]',
      config: cloudConfig,
      async run(ctx) {
        const config = configFor(cloudConfig, ctx);
        const counts = await withMeta(config, (meta) => meta.notify.configKeys());
        return print(ctx, counts, verdict(counts, config.notify.previousSecretsKeys.length));
      },
    },
  ],
};
