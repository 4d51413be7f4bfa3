// Cross-language contract: the firmware core (C++) and shared/protocol (TypeScript, zod) must
// agree on every payload. Builds the host test binary with g++, runs the C++ unit tests, then
// (a) decodes the golden payloads and a few thousand mutations of them in both languages and
// compares verdicts field by field, (b) validates everything the C++ encoders produce
// with parseDeviceMessage and the generated JSON Schema, and (c) replays the kit's command
// contract (shared/fixtures/kit-contract-v1.json) on the C++ Kit. A missing g++ fails; it never skips.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import t from 'tap';
import type { DeviceMessageKind } from '../../shared/protocol/messages.js';
import type { KitContractCase } from '../../shared/scripts/kit-contract-source.js';
import { parseDeviceMessage } from '../../shared/protocol/parse.js';
import { buildHostTests, checkGlue, firmwareDir, parseSummary, runEnv } from './host-build.mjs';
import { mutations, tokenSoup } from './mutations.js';

const root = join(firmwareDir, '..');
interface GoldenCase {
  name: string;
  kind: DeviceMessageKind;
  payload: string;
  code?: string;
  field?: string;
}
const golden = JSON.parse(readFileSync(join(root, 'shared/fixtures/golden-v1.json'), 'utf8')) as {
  valid: GoldenCase[];
  invalid: GoldenCase[];
};
const kitContract = JSON.parse(readFileSync(join(root, 'shared/fixtures/kit-contract-v1.json'), 'utf8')) as {
  cases: KitContractCase[];
};
const schema = JSON.parse(readFileSync(join(root, 'shared/json-schema/device-v1.schema.json'), 'utf8')) as { $id: string };

interface CppVerdict {
  ok: boolean;
  code: string;
  total: number;
  fields: string[];
  cmd?: Record<string, unknown>;
}

/** The field each zod issue line names (`field: reason`, see shared/zod-issues.ts). */
function tsFields(issues: string[]): string[] {
  return issues.map((line) => line.slice(0, line.indexOf(': ')));
}

function tsVerdict(kind: DeviceMessageKind, payload: string | Uint8Array) {
  const r = parseDeviceMessage(kind, payload);
  return r.ok
    ? { ok: true as const, code: 'OK', fields: [] as string[], value: r.value }
    : { ok: false as const, code: r.code, fields: tsFields(r.issues) };
}

let binary = '';
try {
  const build = buildHostTests();
  binary = build.binary;
  t.comment(`built ${binary} (${build.rebuilt ? 'compiled now' : 'up to date'}; flags: ${build.flags.join(' ')})`);
} catch (err) {
  t.fail(`cannot build the firmware host tests: ${(err as Error).message}`);
}

function run(args: string[], input?: string) {
  const r = spawnSync(binary, args, { input, encoding: 'utf8', env: runEnv, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function cppValidate(cases: { kind: string; payload: string | Uint8Array }[]): CppVerdict[] {
  const input = cases.map((c) => `${c.kind} ${Buffer.from(c.payload).toString('hex')}\n`).join('');
  const r = run(['--validate'], input);
  if (r.status !== 0) throw new Error(`--validate exited ${r.status}: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CppVerdict);
}

t.test('C++ unit tests of the core pass (host build, sanitizers on)', async (t) => {
  const r = run([]);
  const summary = parseSummary(r.stdout);
  t.ok(summary, 'the runner printed its summary line');
  if (!summary) return t.fail(r.stdout + r.stderr);
  t.equal(
    summary.failed,
    0,
    `no failed tests\n${r.stdout
      .split('\n')
      .filter((l) => l.includes('FAILED') || l.startsWith('not ok'))
      .join('\n')}`,
  );
  t.equal(summary.passed, summary.tests, 'every test passed');
  t.ok(summary.tests >= 40, `at least 40 tests ran (saw ${summary.tests})`);
  t.ok(summary.checks >= 300, `at least 300 checks ran (saw ${summary.checks})`);
  t.equal(r.status, 0, 'exit code 0');
  t.equal(r.stderr, '', 'no sanitizer report');
});

t.test('golden payloads: C++ verdicts match the golden file and parseDeviceMessage', async (t) => {
  const all = [...golden.valid, ...golden.invalid];
  t.ok(
    golden.valid.length >= 10 && golden.invalid.length >= 10,
    `golden file loaded (${golden.valid.length} valid, ${golden.invalid.length} invalid)`,
  );
  const cpp = cppValidate(all);
  t.equal(cpp.length, all.length, 'one C++ verdict per golden payload');
  all.forEach((g, i) => {
    const c = cpp[i]!;
    const ts = tsVerdict(g.kind, g.payload);
    if (g.code === undefined) {
      t.ok(c.ok, `C++ accepts "${g.name}"`, { fields: c.fields });
      t.ok(ts.ok, `TS accepts "${g.name}"`);
      if (g.kind === 'cmd' && ts.ok)
        t.same(c.cmd, normalizeCommand(ts.value as Record<string, unknown>), `same decoded command for "${g.name}"`);
    } else {
      t.notOk(c.ok, `C++ rejects "${g.name}"`);
      t.equal(c.code, g.code, `C++ code for "${g.name}"`);
      t.equal(c.fields[0], g.field, `C++ names the golden field for "${g.name}"`);
      t.equal(ts.code, g.code, `TS code for "${g.name}"`);
      t.equal(ts.fields[0], g.field, `TS names the golden field for "${g.name}"`);
    }
    t.same(c.fields, ts.fields, `same issue fields in the same order for "${g.name}"`);
  });
});

t.test('raw bytes (as MQTT delivers them): same UTF-8 verdicts in C++ and TS', async (t) => {
  const ok = Buffer.from('{"v":1,"state":"online","boot":7,"fw":"caf\u00e9 \u{1F600}","profile":"toggle"}', 'utf8');
  const wrap = (bytes: number[]) =>
    Buffer.concat([Buffer.from('{"v":1,"state":"online","boot":7,"fw":"'), Buffer.from(bytes), Buffer.from('","profile":"toggle"}')]);
  const cases = [
    { name: 'valid multi-byte UTF-8', payload: ok },
    { name: 'truncated sequence', payload: wrap([0xc3, 0x28]) },
    { name: 'overlong slash', payload: wrap([0xc0, 0xaf]) },
    { name: 'UTF-16 surrogate', payload: wrap([0xed, 0xa0, 0x80]) },
    { name: 'above U+10FFFF', payload: wrap([0xf4, 0x90, 0x80, 0x80]) },
    { name: 'stray continuation byte', payload: wrap([0x80]) },
    { name: 'raw control character', payload: wrap([0x01]) },
    { name: 'leading BOM', payload: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), ok]) },
  ].map((c) => ({ ...c, kind: 'status' as const }));
  const cpp = cppValidate(cases);
  cases.forEach((c, i) => {
    const ts = tsVerdict(c.kind, new Uint8Array(c.payload));
    t.same({ ok: cpp[i]!.ok, code: cpp[i]!.code, fields: cpp[i]!.fields }, { ok: ts.ok, code: ts.code, fields: ts.fields }, c.name);
  });
  t.equal(cpp.filter((v) => v.code === 'SV_ERR_PAYLOAD_NOT_UTF8').length, 5, 'five invalid UTF-8 payloads');
});

t.test('mutated payloads: C++ and TS agree on every verdict and issue list', async (t) => {
  const cases = [...mutations(golden.valid), ...tokenSoup(20261122, 3000, ['telemetry', 'status', 'cmd', 'ack'])];
  const cpp = cppValidate(cases);
  t.equal(cpp.length, cases.length, 'one verdict per mutation');
  const disagreements: string[] = [];
  let accepted = 0;
  cases.forEach((m, i) => {
    const c = cpp[i]!;
    const ts = tsVerdict(m.kind, Buffer.from(m.payload)); // bytes, as MQTT delivers them
    if (ts.ok) accepted++;
    const sameFields = c.total <= 16 ? JSON.stringify(c.fields) === JSON.stringify(ts.fields) : c.fields[0] === ts.fields[0];
    let same = c.ok === ts.ok && c.code === ts.code && sameFields;
    if (same && m.kind === 'cmd' && ts.ok)
      same = JSON.stringify(c.cmd) === JSON.stringify(normalizeCommand(ts.value as Record<string, unknown>));
    if (!same)
      disagreements.push(`${m.name}: ${m.payload}\n  C++ ${JSON.stringify(c)}\n  TS  ${JSON.stringify({ ...ts, value: undefined })}`);
  });
  t.ok(cases.length > 1000, `${cases.length} mutations compared`);
  t.ok(accepted > 50 && accepted < cases.length - 500, `a mix of valid (${accepted}) and invalid payloads`);
  const repeated = cpp.filter((v) => v.code === 'SV_ERR_PAYLOAD_DUPLICATE_KEY');
  t.ok(repeated.length >= 50, `repeated keys among them (${repeated.length})`);
  t.ok(
    repeated.some((v) => v.fields[0] === 'x.a') && repeated.some((v) => v.fields[0] === 'x.1.0.a'),
    'nested repeated keys are named by their path',
  );
  t.same(disagreements.slice(0, 20), [], `no disagreement (of ${disagreements.length})`);
});

function normalizeCommand(v: Record<string, unknown>) {
  return { id: v.id, op: v.op, expect: v.expect ?? null, ttlMs: v.ttlMs, sentTs: v.sentTs ?? null, maxC: v.maxC ?? null };
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(schema);

/** Problems with one line of `--encode` output (empty when zod, the JSON Schema and C++ agree). */
export function checkEncoded(line: string): string[] {
  const [kind, name, expectRaw, self, payload] = line.split('\t') as [DeviceMessageKind, string, string, string, string];
  const problems: string[] = [];
  const ts = parseDeviceMessage(kind, payload ?? '');
  if (!ts.ok) problems.push(`zod rejects ${kind} "${name}": ${ts.issues.join('; ')} in ${payload}`);
  const validate = ajv.getSchema(`${schema.$id}#/$defs/${kind}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload ?? '');
  } catch {
    parsed = undefined;
  }
  if (!validate?.(parsed)) problems.push(`JSON Schema rejects ${kind} "${name}": ${ajv.errorsText(validate?.errors)}`);
  if (self !== 'self-ok') problems.push(`the C++ validator rejects its own ${kind} "${name}"`);
  if (ts.ok && kind === 'telemetry') {
    const v = ts.value as { tempC: number | null };
    const want = expectRaw === '-' ? null : Number(expectRaw) / 16;
    if (v.tempC !== want) problems.push(`telemetry "${name}": tempC ${v.tempC}, expected ${want}`);
  }
  return problems;
}

t.test('everything the C++ core encodes is valid for zod and the JSON Schema', async (t) => {
  const r = run(['--encode']);
  t.equal(r.status, 0, 'the encoder run exits 0 (every message passed the C++ validator too)');
  const lines = r.stdout.trim().split('\n');
  const problems = lines.flatMap(checkEncoded);
  t.ok(lines.length >= 1921 + 40, `${lines.length} encoded messages checked`);
  t.same(problems.slice(0, 20), [], `no message rejected (of ${problems.length} problems)`);
  const sensors = new Set<string>();
  for (const line of lines) {
    const [kind, , , , payload] = line.split('\t');
    if (kind === 'telemetry') sensors.add((JSON.parse(payload!) as { sensor: string }).sensor);
  }
  t.same([...sensors].sort(), ['crc', 'disconnected', 'ok', 'por', 'range'], 'every sensor class was encoded');
  const count = (re: RegExp) => lines.filter((l) => re.test(l)).length;
  t.ok(count(/"ts":null/) >= 1, 'null ts encoded');
  t.ok(count(/"tempC":-?\d+\.0625,/) >= 100, '0.0625 steps encoded');
  t.ok(count(/^telemetry\t.*"heater":(true|false)}$/) >= 100, 'telemetry without rssi encoded');
  t.ok(count(/^status\t.*"state":"offline"/) >= 1 && count(/^ack\t.*"ok":false/) >= 1, 'last will and refusals encoded');
});

t.test('the encoder check is not vacuous: a disagreeing payload is reported', async (t) => {
  const wrong = ['telemetry\tfake\t933\tself-ok\t{"v":1,"boot":7,"seq":1,"ts":null,"tempC":"58.3","sensor":"ok","heater":true}'];
  t.ok(
    wrong.flatMap(checkEncoded).some((p) => p.startsWith('zod rejects')),
    'a string tempC is caught by zod',
  );
  t.ok(
    checkEncoded('status\tfake\t-\tself-ok\t{"v":1,"state":"online","boot":1,"fw":"1","profile":"toggle","x":1}').length >= 2,
    'an extra field is caught',
  );
  t.ok(
    checkEncoded('telemetry\tfake\t1\tself-ok\t{"v":1,"boot":7,"seq":1,"ts":null,"tempC":0.125,"sensor":"ok","heater":true}').length === 1,
    'a wrong temperature is caught',
  );
});

interface CppPressOutcome {
  presses: number;
  acks: { id: string; ok: boolean; heater: boolean; err?: string }[];
  heater: boolean;
}

/** The `--press-contract` input line of one case. */
function pressContractLine(c: KitContractCase): string {
  const expect = c.command.op === 'press' ? c.command.expect : '-';
  return `${c.before.heater ? 1 : 0} ${c.command.op} ${expect} ${c.redelivered ? 1 : 0} ${c.expired ? 1 : 0}\n`;
}

t.test("kit command contract: the C++ Kit follows every case of the shared fixture", async (t) => {
  t.equal(kitContract.cases.length, 24, 'fixture loaded');
  const r = run(['--press-contract'], kitContract.cases.map(pressContractLine).join(''));
  t.equal(r.status, 0, 'exit code 0');
  t.equal(r.stderr, '', 'no sanitizer report');
  const lines = r.stdout.trim().split('\n');
  t.equal(lines.length, kitContract.cases.length, 'one outcome per case');
  kitContract.cases.forEach((c, i) => {
    const got = JSON.parse(lines[i] ?? '{}') as CppPressOutcome;
    t.same(
      got,
      { presses: c.outcome.presses, acks: [{ id: 'c-contract-1', ...c.outcome.ack }], heater: c.outcome.heater },
      c.name,
    );
  });
  const bad = run(['--press-contract'], '1 boil - 0 0\n');
  t.same(JSON.parse(bad.stdout.trim()), { error: 'bad input line' }, 'a malformed case line is reported, not replayed');
});

t.test('the Arduino glue type-checks against the API stand-ins (no ESP32 toolchain here)', async (t) => {
  const results = checkGlue();
  t.ok(results.length >= 4, `${results.length} glue files checked`);
  for (const r of results) t.ok(r.ok, `${r.file} compiles (-fsyntax-only)`, { output: r.output });
});
