import { PassThrough } from 'node:stream';
import t from 'tap';
import { loadtestConfig } from '../loadtest/run/config.js';
import { loadConfig } from '../shared/config/load.js';
import { TOOL_CONFIGS } from './config-docs.js';
import { runCli } from './run.js';

/** The tools' options (loadtest, chaos, bench) go through the one config loader: bad values are usage errors naming the flag. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await runCli(args, { stdout, stderr, env }, new AbortController().signal);
  return { code, out, err };
}

const usage = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = await cli([...args, '--json'], env);
  return { code: r.code, error: (JSON.parse(r.err) as { error: { code: string; message: string; details: string[] } }).error };
};

t.test('loadtest --gateway-nodes: an integer from 1 to 32, named with the value given', async (t) => {
  for (const bad of ['0', '33', 'two', '1.5']) {
    const r = await usage(['loadtest', '--gateway-nodes', bad]);
    t.equal(r.code, 2, `--gateway-nodes ${bad} exits 2`);
    t.equal(r.error.code, 'SV_ERR_CLI_USAGE');
    t.same(r.error.details, ['--gateway-nodes: an integer from 1 to 32']);
    t.equal(r.error.message, `--gateway-nodes: an integer from 1 to 32 (got ${JSON.stringify(bad)})`);
  }
  const fromEnv = await usage(['loadtest'], { SV_LOADTEST_GATEWAY_NODES: '99' });
  t.same(fromEnv.error.details, ['--gateway-nodes: an integer from 1 to 32'], 'its environment variable is checked the same way');
});

t.test('every bad option is listed at once, each with its flag and rule', async (t) => {
  const r = await usage(['loadtest', '--connections', '0', '--sinks', 'cloud', '--client', 'curl', '--mps', '0', '--mode', 'half']);
  t.equal(r.code, 2);
  t.same(r.error.details, [
    '--connections: an integer from 1 to 15000',
    '--mps: a number from 0.01 to 100',
    '--sinks: full or gateway',
    '--client: lean, mqttjs or native',
    '--mode: open or closed',
  ]);
  t.match((await cli(['loadtest', '--conections', '5'])).err, /--conections: unknown option/);
  t.match((await cli(['loadtest', '--qos'])).err, /--qos: needs a value/);
});

t.test("the load-test plan's own environment names are read (not prefixed) and checked", async (t) => {
  const runId = await usage(['loadtest'], { RUN_ID: 'has space' });
  t.same(runId.error.details, ['--run-id: letters, digits, ".", "_", "-" (≤ 80)']);
  for (const dots of ['.', '..']) {
    const r = await usage(['loadtest', '--run-id', dots]);
    t.same(r.error.details, ['--run-id: a plain name, not "." or ".." (it names the run\'s directory)'], `--run-id ${dots}`);
    t.same((await usage(['loadtest'], { RUN_ID: dots })).error.details, r.error.details, `RUN_ID=${dots}`);
  }
  const attempts = await usage(['loadtest'], { MAX_ATTEMPTS: '11' });
  t.same(attempts.error.details, ['--max-attempts: an integer from 1 to 10']);
  const timeout = await usage(['loadtest'], { PART_TIMEOUT_SECONDS: '5' });
  t.same(timeout.error.details, ['--part-timeout: an integer from 10 to 172800']);
  const require = await usage(['loadtest'], { REQUIRE_BUSINESS_SUMMARY: 'perhaps' });
  t.match(require.error.details[0], /^--require-business-summary: /);
  const typo = await usage(['loadtest'], { SV_LOADTEST_CONECTIONS: '5' });
  t.same(typo.error.details, ['SV_LOADTEST_CONECTIONS: unknown environment variable (see docs/config.md)']);
});

t.test('values come from the defaults, the environment (own names included) and flags, flags winning', async (t) => {
  const d = loadConfig(loadtestConfig, {});
  t.match(d, { connections: 200, gatewayNodes: 1, client: 'native', sinks: 'full', requireBusinessSummary: false });
  t.equal(d.runId, undefined, 'no run id: the command stamps one');
  const c = loadConfig(loadtestConfig, {
    env: { RUN_ID: 'from-env', REQUIRE_BUSINESS_SUMMARY: '1', PART_TIMEOUT_SECONDS: '50', SV_LOADTEST_GATEWAY_NODES: '3' },
    flags: { 'gateway-nodes': '2', mps: '0.5' },
  });
  t.match(c, { runId: 'from-env', requireBusinessSummary: true, partTimeout: 50, gatewayNodes: 2, mps: 0.5 });
});

t.test('bench and chaos options: lists and ranges', async (t) => {
  const ingest = await usage(['bench', 'ingest', '--kits', '1000,x', '--brokers', 'gateway,emqx', '--gateway-nodes', '40']);
  t.same(ingest.error.details, [
    '--kits: comma-separated integers 1…15000',
    '--gateway-nodes: an integer from 1 to 32',
    '--brokers: baseline, gateway and/or mosquitto',
  ]);
  const noBaseline = await usage(['bench', 'ingest', '--brokers', 'baseline,gateway']);
  t.same(noBaseline.error.details, ['--brokers: baseline needs --baseline']);
  const missing = await usage(['bench', 'ingest', '--baseline', '/nonexistent/main.js']);
  t.same(missing.error.details, ['--baseline: no file /nonexistent/main.js']);
  const cloud = await usage(['bench', 'cloud', '--batch-size', '0']);
  t.same(cloud.error.details, ['--batch-size: an integer from 1 to 9007199254740991']);
  const drain = await usage(['bench', 'drain', '--live-s', '-1']);
  t.same(drain.error.details, ['--live-s: an integer from 1 to 9007199254740991']);
  const chaos = await usage(['chaos', 'redis-down', '--quota-bytes', '100', '--warmup-s', '-1']);
  t.same(chaos.error.details, ['--warmup-s: an integer from 0 to 3600', '--quota-bytes: an integer from 4096 to 1099511627776']);
});

t.test('--help lists every option of every tool with its default and environment variable', async (t) => {
  for (const [args, def] of [
    [['loadtest'], TOOL_CONFIGS[0]],
    [['chaos'], TOOL_CONFIGS[1]],
    [['bench', 'ingest'], TOOL_CONFIGS[2]],
    [['bench', 'cloud'], TOOL_CONFIGS[3]],
    [['bench', 'drain'], TOOL_CONFIGS[4]],
  ] as const) {
    const r = await cli([...args, '--help']);
    t.equal(r.code, 0);
    for (const f of def.flat)
      t.match(r.out, new RegExp(`--${f.flag}\\b[^\\n]*\\[env ${f.envs.join(' or ')}\\]`), `${args.join(' ')}: --${f.flag}`);
  }
  const lt = (await cli(['loadtest', '--help'])).out;
  t.match(lt, /--part-timeout <s>\s+Per-partition timeout\. \(default: duration \+ 120\) \[env PART_TIMEOUT_SECONDS\]/);
  t.match(lt, /--gateway-nodes <int>\s+.*\(default: 1\) \[env SV_LOADTEST_GATEWAY_NODES\]/);
});
