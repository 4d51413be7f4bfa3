// Mutations of the golden valid payloads for the differential C++/TS test: every field
// removed, set to a spread of JSON values (types, range edges, enum members of other fields),
// unknown and duplicate keys, array-index keys, escapes, whitespace and size edges.
import type { DeviceMessageKind } from '../../shared/protocol/messages.js';

export interface Mutation {
  name: string;
  kind: DeviceMessageKind;
  payload: string;
}

const VALUES = [
  'null',
  'true',
  'false',
  '"x"',
  '""',
  '0',
  '-0',
  '1',
  '1.0',
  '1e0',
  '-1',
  '1.5',
  '2',
  '19.9999',
  '20',
  '85',
  '90.5',
  '99',
  '100',
  '110',
  '110.0001',
  '-10',
  '-10.0001',
  '-127',
  '-128',
  '600000',
  '600001',
  '1e2',
  '9007199254740991',
  '9007199254740992',
  '8640000000000000',
  '8640000000000001',
  '1e300',
  '1e400',
  '-1e400',
  '[]',
  '{}',
  '[1]',
  '{"a":1}',
  '"on"',
  '"off"',
  '"press"',
  '"safe"',
  '"ok"',
  '"crc"',
  '"por"',
  '"range"',
  '"disconnected"',
  '"toggle"',
  '"online"',
  '"offline"',
  '"\\u006fk"',
  '"c/1"',
  '"c 1"',
  '"é"',
  `"${'a'.repeat(32)}"`,
  `"${'a'.repeat(33)}"`,
  `"${'a'.repeat(40)}"`,
  `"${'a'.repeat(41)}"`,
  `"${'e'.repeat(64)}"`,
  `"${'e'.repeat(65)}"`,
  `"${'\\ud83d\\ude00'.repeat(32)}"`,
  `"${'\\ud83d\\ude00'.repeat(33)}"`,
  '"\\ud800"',
];

function build(entries: [string, string][]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

export function mutations(valid: { name: string; kind: DeviceMessageKind; payload: string }[]): Mutation[] {
  const out: Mutation[] = [];
  for (const g of valid) {
    const obj = JSON.parse(g.payload) as Record<string, unknown>;
    const entries: [string, string][] = Object.entries(obj).map(([k, v]) => [k, JSON.stringify(v)]);
    const add = (name: string, payload: string) => out.push({ name: `${g.name} / ${name}`, kind: g.kind, payload });
    entries.forEach(([key], i) => {
      add(`without ${key}`, build(entries.filter((_, j) => j !== i)));
      for (const v of VALUES) add(`${key}=${v.slice(0, 20)}`, build(entries.map(([k, old]) => [k, k === key ? v : old])));
      add(`${key} duplicated with a bad value first`, build([[key, '"bad"'], ...entries]));
      add(`${key} duplicated with a bad value last`, build([...entries, [key, '"bad"']]));
      const escaped = `\\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${key.slice(1)}`;
      add(`${key} repeated, spelled with an escape`, `${build(entries).slice(0, -1)},"${escaped}":1}`);
      add(`${key} spelled with an escape, once`, `{"${escaped}":${entries[i]![1]},${build(entries.filter((_, j) => j !== i)).slice(1)}`);
    });
    add('repeated key in a nested object', build([...entries, ['x', '{"a":1,"b":{"a":2},"a":3}']]));
    add('repeated key in an array of objects', build([...entries, ['x', '[{"a":1},[{"a":1,"a":2}]]']]));
    add('same key in sibling objects only', build([...entries, ['x', '[{"a":1},{"a":2},{"b":{"a":3}}]']]));
    add('keys inside a string value', build([...entries, ['x', '"\\"v\\":1,\\"v\\":2"']]));
    for (const extra of ['expect', 'err', 'rssi', 'sentTs', 'maxC', 'x', '5', '0', '01', '4294967295', '__proto__', 'a b', '\ud83d']) {
      add(`extra ${extra}`, build([...entries, [extra, '"on"']]));
      add(`extra ${extra}=1`, build([[extra, '1'], ...entries]));
    }
    add('two unknown keys, one an index', build([...entries, ['zz', '1'], ['7', '1']]));
    add('whitespace everywhere', ` \n\t${build(entries).replace(/([:,{])/g, '$1 \r\n')} `);
    add('trailing garbage', `${build(entries)}x`);
    add('BOM', `\ufeff${build(entries)}`);
    add('nested junk value', build([...entries, ['deep', `${'['.repeat(200)}${']'.repeat(200)}`]]));
    add('padding to 1024 bytes', build([...entries, ['p', `"${'x'.repeat(1024 - build(entries).length - 6)}"`]]));
    add('padding to 1025 bytes', build([...entries, ['p', `"${'x'.repeat(1025 - build(entries).length - 6)}"`]]));
  }
  for (const kind of ['telemetry', 'status', 'cmd', 'ack'] as const) {
    for (const p of ['{}', '[]', 'null', '1', '"s"', '', '{"v":1', '{"v":1,}', '{"v":01}', '{"v":1}{}', 'nul']) {
      out.push({ name: `${kind} raw ${p}`, kind, payload: p });
    }
  }
  return out;
}

const TOKENS = [
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  ' ',
  '\n',
  '"',
  '\\',
  '"v"',
  '"id"',
  '"op"',
  '1',
  '0',
  '-',
  '.',
  'e',
  '+',
  '5',
  'E',
  'u',
  '00',
  '"\\u0041"',
  '"\\u0076"',
  '"\\ud83d"',
  '"\\ude00"',
  'true',
  'fals',
  'null',
  '"ok"',
  '"safe"',
  '1e400',
  '"\\/"',
  '"\\x"',
  '\t',
  'é',
];

/** Seeded random token soup: mostly broken JSON, to compare the two parsers' syntax rules. */
export function tokenSoup(seed: number, count: number, kinds: readonly DeviceMessageKind[]): Mutation[] {
  let x = seed >>> 0 || 1;
  const rnd = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const out: Mutation[] = [];
  for (let i = 0; i < count; i++) {
    let payload = rnd(2) === 0 ? '{"v":1,' : '';
    const len = 1 + rnd(12);
    for (let k = 0; k < len; k++) payload += TOKENS[rnd(TOKENS.length)];
    if (rnd(2) === 0) payload += '}';
    out.push({ name: `soup #${i}`, kind: kinds[rnd(kinds.length)]!, payload });
  }
  return out;
}
