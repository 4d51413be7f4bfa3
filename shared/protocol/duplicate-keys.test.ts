import t from 'tap';
import { findDuplicateKey } from './duplicate-keys.js';
import { parseDeviceMessage } from './parse.js';

/** The scanner's answer, after checking the text is JSON (its precondition). */
function dup(text: string): string | null {
  JSON.parse(text);
  return findDuplicateKey(text);
}

t.test('plain objects: a repeated key is found, distinct keys are not', async (t) => {
  t.equal(dup('{"tempC":200,"sensor":"ok","tempC":50}'), 'tempC');
  t.equal(dup('{"a":1,"b":2,"c":3}'), null);
  t.equal(dup('{}'), null);
  t.equal(dup('{"a":1,"ab":2,"b":3,"ba":4}'), null, 'prefixes and suffixes are different keys');
  t.equal(dup('{"a":1,"A":2}'), null, 'keys are case-sensitive');
  t.equal(dup('{"":1,"x":2,"":3}'), '', 'the empty key too');
  t.equal(dup(' {\n "a" : 1 ,\t"a"\r: 2 } '), 'a', 'whitespace anywhere');
  t.equal(dup('{"a":1,"b":2,"b":3,"a":4}'), 'b', 'the first repetition in text order');
});

t.test('keys compare after unescaping', async (t) => {
  t.equal(dup('{"tempC":1,"temp\\u0043":2}'), 'tempC', '\\u0043 is C');
  t.equal(dup('{"temp\\u0043":1,"tempC":2}'), 'tempC', 'either way round');
  t.equal(dup('{"\\u0074emp\\u0043":1,"temp\\u0043":2}'), 'tempC', 'both escaped, differently');
  t.equal(dup('{"a\\/b":1,"a/b":2}'), 'a/b');
  t.equal(dup('{"q\\"":1,"q\\u0022":2}'), 'q"');
  t.equal(dup('{"\\ud83d\\ude00":1,"😀":2}'), '😀', 'a surrogate pair equals the raw character');
  t.equal(dup('{"\\ud800":1,"\\uD800":2}'), '\ud800', 'lone surrogates, hex case aside');
  t.equal(dup('{"a\\\\":1,"a\\\\\\\\":2}'), null, 'an escaped backslash is one character');
  t.equal(dup('{"a\\"":1,"a":2}'), null, 'an escaped quote does not end the key');
});

t.test('nested objects have their own keys; the path names the duplicate', async (t) => {
  t.equal(dup('{"a":{"x":1},"b":{"x":2}}'), null, 'the same key in sibling objects');
  t.equal(dup('{"x":1,"a":{"x":2}}'), null, 'the same key in parent and child');
  t.equal(dup('{"a":{"x":1,"y":{"z":1},"x":2}}'), 'a.x', 'after a closed grandchild');
  t.equal(dup('{"a":{"b":{"c":1,"c":2}}}'), 'a.b.c');
  t.equal(dup('{"a":{"x":1},"a":{"y":2}}'), 'a', 'a repeated object-valued key');
  t.equal(dup('{"o\\u0062j":{"k":1,"k":2}}'), 'obj.k', 'path segments are unescaped');
});

t.test('arrays of objects: each element is its own object; the path has its index', async (t) => {
  t.equal(dup('{"r":[{"t":1},{"t":2},{"t":3}]}'), null);
  t.equal(dup('{"r":[{"t":1},{"t":2,"t":3}]}'), 'r.1.t');
  t.equal(dup('{"r":[1,"x",[{"a":1}],{"b":1,"b":2}]}'), 'r.3.b', 'mixed elements count');
  t.equal(dup('{"r":[[],[{"a":1,"a":1}]]}'), 'r.1.0.a', 'arrays in arrays');
  t.equal(dup('{"r":[{}, "a", "a"],"a":1}'), null, 'strings in an array after an object are not keys');
});

t.test('key-like text inside string values is not a key', async (t) => {
  t.equal(dup('{"a":"\\"a\\":1","b":"a"}'), null);
  t.equal(dup('{"fw":"{\\"x\\":1,\\"x\\":2}"}'), null, 'a JSON document inside a string');
  t.equal(dup('{"a":"b","b":"a"}'), null, 'a value equal to another key');
  t.equal(dup('{"a":"b","c":"d","a":"e"}'), 'a');
  t.equal(dup('{"a":"x,\\"a\\":{","z":1}'), null, 'commas, braces and quotes inside a value');
});

t.test('non-object JSON and reuse of the scanner state', async (t) => {
  t.equal(dup('[{"a":1},{"a":2}]'), null);
  t.equal(dup('"{\\"a\\":1,\\"a\\":2}"'), null);
  const big = `{${Array.from({ length: 300 }, (_, i) => `"k${i}":[{"n":${i}}]`).join(',')},"k7":0}`;
  t.equal(dup(big), 'k7', 'larger than the initial stacks');
  t.equal(dup('{"a":{"b":1},"c":{"b":2,"d":3}}'), null, 'a smaller text after a larger one');
});

t.test('parseDeviceMessage rejects a payload with a repeated key, naming it', async (t) => {
  const telemetry = '{"v":1,"boot":7,"seq":1,"ts":null,"tempC":200,"sensor":"ok","heater":true,"tempC":50}';
  t.same(JSON.parse(telemetry).tempC, 50, 'JSON.parse alone would have read 50');
  const r = parseDeviceMessage('telemetry', Buffer.from(telemetry));
  t.notOk(r.ok);
  if (!r.ok) {
    t.equal(r.code, 'SV_ERR_PAYLOAD_DUPLICATE_KEY');
    t.same(r.issues, ['tempC: duplicate_key (appears more than once)']);
    t.match(r.reason, /duplicate_key/);
  }
  const escaped = parseDeviceMessage('cmd', '{"v":1,"id":"c-1","op":"press","expect":"on","ttlMs":5000,"expe\\u0063t":"off"}');
  t.same(escaped.ok ? null : escaped.issues, ['expect: duplicate_key (appears more than once)']);
  const ok = parseDeviceMessage('status', '{"v":1,"state":"online","boot":7,"fw":"\\"state\\":1","profile":"toggle"}');
  t.ok(ok.ok, 'a key-like value is fine');
  const notJson = parseDeviceMessage('status', '{"v":1,"v":1');
  t.equal(notJson.ok ? null : notJson.code, 'SV_ERR_PAYLOAD_NOT_JSON', 'syntax errors come first');
});
