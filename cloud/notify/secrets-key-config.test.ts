import t from 'tap';
import { loadConfig, redactConfig } from '../../shared/config/load.js';
import { isSvError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { buildCloud } from '../app.js';
import { cloudConfig } from '../config.js';
import { createMetaStore } from '../stores/index.js';
import { testConfig } from '../testing/servers.js';

/** notify.previousSecretsKeys (ADR 077): validated as notify.secretsKey is, never printed, and only with it. */

const A = 'rotation-config-key-A-0123456789abcdef';
const B = 'rotation-config-key-B-0123456789abcdef';
const silent = createLogger({ name: 't', level: 'silent', pretty: false });

function problemsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (err) {
    if (isSvError(err, 'SV_ERR_CONFIG_INVALID')) return [...err.details];
    throw err;
  }
  return [];
}

t.test('the default is none; the environment gives them comma-separated; dumps redact them', async (t) => {
  t.same(loadConfig(cloudConfig, {}).notify.previousSecretsKeys, []);
  const config = loadConfig(cloudConfig, {
    env: { SV_CLOUD_NOTIFY_SECRETS_KEY: B, SV_CLOUD_NOTIFY_PREVIOUS_SECRETS_KEYS: `${A}, ${'c'.repeat(32)}` },
  });
  t.same(config.notify.previousSecretsKeys, [A, 'c'.repeat(32)]);
  const dump = JSON.stringify(redactConfig(cloudConfig, config));
  t.notOk(dump.includes(A) || dump.includes('c'.repeat(32)) || dump.includes(B), 'neither key is in a config dump');
  t.match(dump, /"previousSecretsKeys":"\[redacted\]"/);
});

t.test('each previous key is at least 32 characters, named by its place, its value not quoted', async (t) => {
  const details = problemsOf(() =>
    loadConfig(cloudConfig, { overrides: { 'notify.secretsKey': B, 'notify.previousSecretsKeys': [A, 'short-old-key'] } }),
  );
  t.equal(details.length, 1);
  t.match(details[0], /^notify\.previousSecretsKeys\.1: .*32/);
  t.notOk(details.join(' ').includes('short-old-key'), 'not the value');
});

t.test('previous keys without notify.secretsKey, or holding it, fail at build, naming the field and the reason', async (t) => {
  const without = testConfig(t, undefined, 'rotation-config', { 'notify.previousSecretsKeys': [A] });
  const expected = [
    'notify.previousSecretsKeys: set without notify.secretsKey (previous keys only open configs; notify.secretsKey seals them)',
  ];
  t.same(
    problemsOf(() => buildCloud(without, silent)),
    expected,
  );
  t.same(
    problemsOf(() => createMetaStore(without, { create: true })),
    expected,
    'the admin commands refuse it too',
  );
  const same = testConfig(t, undefined, 'rotation-config', {
    'notify.secretsKey': B,
    'notify.previousSecretsKeys': [A, B, A],
  });
  const details = problemsOf(() => buildCloud(same, silent));
  t.same(details, [
    'notify.previousSecretsKeys.1: is notify.secretsKey itself (list only the keys it replaced)',
    'notify.previousSecretsKeys.2: repeats notify.previousSecretsKeys.0',
  ]);
  t.notOk(details.join(' ').includes(A) || details.join(' ').includes(B), 'no key in the problems');
});

t.test('a previous key that no row uses yet (step 1 of a rotation) is a valid config', async (t) => {
  const step1 = testConfig(t, undefined, 'rotation-config', { 'notify.secretsKey': A, 'notify.previousSecretsKeys': [B] });
  t.same(
    problemsOf(() => buildCloud(step1, silent)),
    [],
  );
});
