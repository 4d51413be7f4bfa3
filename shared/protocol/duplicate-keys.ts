/**
 * Finds a key that appears twice in the same JSON object. `JSON.parse` silently keeps the last
 * value (`{"tempC":200,…,"tempC":50}` reads as 50), so a device payload with a repeated key is
 * rejected instead (docs/protocol.md). Runs on the ingest hot path, after `JSON.parse` accepted the
 * text: one pass over its characters with reused typed arrays; strings are created only for keys
 * with escapes and for the path of a duplicate once found.
 *
 * - Keys compare after unescaping: `"temp\u0043"` repeats `"tempC"`.
 * - Each object, nested ones included, has its own keys; a key-like text inside a string value is
 *   not a key.
 * - The duplicate is named by its path as `formatIssues` names fields: members joined by `.`,
 *   array elements by their index (`readings.0.tempC`).
 * The firmware's reader (firmware/core/json-keys.cpp) applies the same rules; the cross-language
 * contract test compares them.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

// Keys of the open objects (a stack: an object's keys are dropped when it closes).
let keyStart = new Int32Array(64); // first character inside the quotes
let keyEnd = new Int32Array(64); // the closing quote
let keyEscaped = new Uint8Array(64);
// Open objects and arrays: where their keys begin in the key stack, or the current element index.
let frameBase = new Int32Array(64);
let frameIndex = new Int32Array(64);
let frameIsObject = new Uint8Array(64);

function reserve(n: number): void {
  if (keyStart.length >= n) return;
  const size = Math.max(n, keyStart.length * 2);
  keyStart = new Int32Array(size);
  keyEnd = new Int32Array(size);
  keyEscaped = new Uint8Array(size);
  frameBase = new Int32Array(size);
  frameIndex = new Int32Array(size);
  frameIsObject = new Uint8Array(size);
}

function decodeKey(text: string, start: number, end: number, escaped: number): string {
  return escaped === 0 ? text.slice(start, end) : (JSON.parse(text.slice(start - 1, end + 1)) as string);
}

function sameKey(text: string, a: number, b: number): boolean {
  const aStart = keyStart[a]!;
  const bStart = keyStart[b]!;
  const len = keyEnd[a]! - aStart;
  if (keyEscaped[a] === 0 && keyEscaped[b] === 0) {
    if (keyEnd[b]! - bStart !== len) return false;
    for (let i = 0; i < len; i++) if (text.charCodeAt(aStart + i) !== text.charCodeAt(bStart + i)) return false;
    return true;
  }
  return decodeKey(text, aStart, keyEnd[a]!, keyEscaped[a]!) === decodeKey(text, bStart, keyEnd[b]!, keyEscaped[b]!);
}

/** The path of the repeated key `k` inside the innermost open object (rare: allocation is fine). */
function pathOf(text: string, depth: number, k: number): string {
  const parts: string[] = [];
  for (let d = 0; d < depth - 1; d++) {
    if (frameIsObject[d] === 1) {
      const current = frameBase[d + 1]! - 1; // the member whose value holds the next frame
      parts.push(decodeKey(text, keyStart[current]!, keyEnd[current]!, keyEscaped[current]!));
    } else {
      parts.push(String(frameIndex[d]));
    }
  }
  parts.push(decodeKey(text, keyStart[k]!, keyEnd[k]!, keyEscaped[k]!));
  return parts.join('.');
}

/**
 * The path of the first key (in text order) that repeats an earlier key of the same object, or
 * null. `text` must be JSON that `JSON.parse` accepted; anything else gives no reliable answer.
 */
export function findDuplicateKey(text: string): string | null {
  const n = text.length;
  reserve(n + 1); // at most one key or frame per character
  let depth = 0;
  let keys = 0;
  let wantKey = false; // the next string is a key (after `{` or a `,` inside an object)
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i + 1;
      let j = start;
      let escaped = 0;
      for (;;) {
        const d = text.charCodeAt(j);
        if (d === QUOTE) break;
        if (d === BACKSLASH) {
          escaped = 1;
          j += 2;
        } else {
          j++;
        }
      }
      if (wantKey) {
        keyStart[keys] = start;
        keyEnd[keys] = j;
        keyEscaped[keys] = escaped;
        for (let k = frameBase[depth - 1]!; k < keys; k++) {
          if (sameKey(text, k, keys)) return pathOf(text, depth, keys);
        }
        keys++;
        wantKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      frameBase[depth] = keys;
      frameIndex[depth] = 0;
      frameIsObject[depth] = c === OPEN_OBJECT ? 1 : 0;
      depth++;
      wantKey = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      keys = frameBase[depth]!;
      wantKey = false;
    } else if (c === COMMA) {
      const top = depth - 1;
      wantKey = frameIsObject[top] === 1;
      if (!wantKey) frameIndex[top] = frameIndex[top]! + 1;
    }
    i++;
  }
  return null;
}
