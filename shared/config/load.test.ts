import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { cloudConfig } from '../../cloud/config.js';
import { gatewayConfig, gatewayConfigProblems } from '../../gateway/config.js';
import { isSvError } from '../errors.js';
import { loadConfig, redactConfig } from './load.js';

t.test('defaults < file < environment < flags', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-config-'));
  const file = join(dir, 'gw.json');
  writeFileSync(file, JSON.stringify({ mqtt: { port: 9001, host: '10.0.0.2' }, http: { port: 9100 } }));
  const config = loadConfig(gatewayConfig, {
    file,
    env: { SV_GATEWAY_MQTT_PORT: '9002', SV_GATEWAY_LOG_SNAPSHOT: 'true' },
    flags: { 'mqtt-port': '9003' },
  });
  t.equal(config.mqtt.port, 9003, 'flag wins');
  t.equal(config.mqtt.host, '10.0.0.2', 'file beats default');
  t.equal(config.http.port, 9100);
  t.equal(config.log.snapshot, true, 'env bool coerced');
  t.equal(config.dataDir, './data/gateway', 'default');
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.mqtt), 'frozen');
});

t.test('a config file saved with a byte-order mark reads as JSON', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-config-'));
  const file = join(dir, 'bom.json');
  writeFileSync(file, `\uFEFF${JSON.stringify({ mqtt: { port: 9001 } })}`);
  t.equal(loadConfig(gatewayConfig, { file }).mqtt.port, 9001);
});

t.test('a bad config lists every bad key as path: message', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-config-'));
  const file = join(dir, 'gw.json');
  writeFileSync(file, JSON.stringify({ mqtt: { port: 'eighty', colour: 'blue' } }));
  try {
    loadConfig(gatewayConfig, {
      file,
      env: { SV_GATEWAY_HTTP_PORT: '70000', SV_GATEWAY_TYPO: '1', SV_GATEWAY_CLOUD_URL: 'ftp://x' },
      flags: { 'log-level': 'loud' },
    });
    t.fail('should throw');
  } catch (err) {
    t.ok(isSvError(err, 'SV_ERR_CONFIG_INVALID'));
    const details = isSvError(err) ? err.details.join('\n') : '';
    t.match(details, /^mqtt\.port: /m, 'names mqtt.port');
    t.match(details, /^mqtt\.colour: unknown field/m, 'names the unknown file key');
    t.match(details, /^http\.port: /m, 'names http.port (out of range)');
    t.match(details, /^SV_GATEWAY_TYPO: unknown environment variable/m, 'names the unknown env var');
    t.match(details, /^cloud\.url: must be a URL starting with http:\/\/ or https:\/\/$/m, 'names cloud.url and the schemes it may have');
    t.match(details, /^log\.level: /m, 'names log.level');
  }
});

t.test('a key repeated in a config file is refused, naming the key path and the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-config-'));
  const file = join(dir, 'twice.json');
  writeFileSync(file, '{"http":{"port":41002},"http":{"host":"127.0.0.1"}}');
  const err = t.throws(() => loadConfig(gatewayConfig, { file }, gatewayConfigProblems)) as Error;
  t.ok(isSvError(err, 'SV_ERR_CONFIG_INVALID'));
  t.equal(err.message, `config file ${file}: http: appears more than once in one object (only one value can count)`);
  writeFileSync(file, '\uFEFF{"mqtt":{"port":9001,"host":"10.0.0.2","port":9002}}');
  t.throws(() => loadConfig(gatewayConfig, { file }), {
    message: `config file ${file}: mqtt.port: appears more than once in one object (only one value can count)`,
  });
  writeFileSync(file, '{"mqtt":{"port":9001},"http":{"port":9001}}');
  t.equal(loadConfig(gatewayConfig, { file }).http.port, 9001, 'the same key in two objects is fine');
});

t.test('unreadable and malformed config files are named', async (t) => {
  t.throws(() => loadConfig(cloudConfig, { file: '/nonexistent/sv.json' }), /config file \/nonexistent\/sv\.json: cannot read/);
  const dir = mkdtempSync(join(tmpdir(), 'sv-config-'));
  writeFileSync(join(dir, 'bad.json'), '{ nope');
  t.throws(() => loadConfig(cloudConfig, { file: join(dir, 'bad.json') }), /not valid JSON/);
});

t.test('secrets are redacted in config dumps', async (t) => {
  const config = loadConfig(gatewayConfig, { env: { SV_GATEWAY_CLOUD_TOKEN: 'tok_abcdefghijklmnopqrstuvwxyz' } });
  t.equal(config.cloud.token, 'tok_abcdefghijklmnopqrstuvwxyz');
  const dump = JSON.stringify(redactConfig(gatewayConfig, config));
  t.notMatch(dump, /tok_abc/);
  t.match(dump, /\[redacted\]/);
});

t.test('with no input at all, every nested key has its default', async (t) => {
  const config = loadConfig(gatewayConfig, {});
  t.equal(config.mqtt.port, 8883);
  t.equal(config.mqtt.maxPacketBytes, 4096);
  t.equal(config.http.port, 8080);
  t.equal(config.log.level, 'info');
  const cloud = loadConfig(cloudConfig, {});
  t.equal(cloud.log.level, 'info');
});

t.test('a refused value is quoted back as given, unless it is a secret or a URL', async (t) => {
  const problems = (env: NodeJS.ProcessEnv) => {
    try {
      loadConfig(gatewayConfig, { env });
    } catch (err) {
      if (isSvError(err)) return err.details ?? [];
    }
    return [];
  };
  t.same(problems({ SV_GATEWAY_MQTT_PORT: '88x3' }), ['mqtt.port: Invalid input: expected number, received string (got "88x3")']);
  const secret = 'pw-Secret-42';
  const lines = problems({
    SV_GATEWAY_CLOUD_TOKEN: secret, // too short: refused
    SV_GATEWAY_CLOUD_URL: `ftp://u:${secret}@cloud.example`,
  });
  t.equal(lines.length, 2, lines.join('\n'));
  t.notOk(lines.join('\n').includes(secret), 'neither the token nor the password in the URL is quoted');
});

t.test('the rules run with the refused values: every real problem, none made up, never a crash', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-rules-'));
  const file = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, body);
    return path;
  };
  const lines = (sources: Parameters<typeof loadConfig>[1]) => {
    try {
      loadConfig(gatewayConfig, sources, gatewayConfigProblems);
    } catch (err) {
      if (isSvError(err)) return err.details ?? [];
      throw err;
    }
    return [];
  };
  const missingCa = join(dir, 'port', 'no-ca.pem');
  t.same(
    lines({ file: file('paren.json', '{"(": 1, "file": 2}'), flags: { 'cloud-url': 'https://c.example', 'relay-tls-ca-file': missingCa } }),
    [
      '(: unknown field',
      'file: unknown field',
      'cloud.token: required when cloud.url is set',
      `relay.tlsCaFile: ${missingCa}: no such file (ENOENT)`,
    ],
    'unknown keys (whatever their characters) hide no rule',
  );
  t.same(
    lines({ file: file('proto.json', '{"__proto__": {"polluted": 1}}') }),
    ['__proto__: unknown field'],
    '__proto__ is a key, never the prototype',
  );
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
  t.same(
    lines({ flags: { 'mqtt-port': '99999', 'mqtt-plain-port': '8883', 'http-port': '8883' } }),
    [
      'mqtt.port: Too big: expected number to be <=65535 (got "99999")',
      'http.port: 8883 is also mqtt.plainPort; each listener needs its own port',
    ],
    'the clash with the refused key is left out, the real one stays',
  );
  t.same(
    lines({ env: { SV_GATEWAY_NOTIFY_SMTP_URL: 'smtp://mail.example', SV_GATEWAY_NOTIFY_EMAIL_TO: 'cook@example.com,not-an-address' } }),
    ['notify.emailTo.1: Invalid email address'],
    'a refused list entry refuses its list: no "required" line about it',
  );
  const broken = file('broken.json', '{"cloud": {"token": "0123456789abcdef0123",}}');
  const b = lines({ file: broken, env: { SV_GATEWAY_CLOUD_URL: 'https://c.example' } });
  t.equal(b.length, 1, `a file that does not parse stands alone: ${b.join(' | ')}`);
  t.match(b[0], /not valid JSON/);
});
