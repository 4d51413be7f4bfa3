/**
 * Finds issued secrets in captured log output, in the forms a careless log line could carry them:
 * as issued, without the `svk_`/`svg_`/`svo_` prefix, URL-encoded, JSON-escaped, hex, and base64 /
 * base64url at every byte alignment (so a secret inside a longer encoded value, such as an HTTP
 * Basic header, is found too), and the random bytes behind the prefix in hex and base64.
 */
export interface Secret {
  label: string;
  value: string;
}

export interface Finding {
  label: string;
  form: string;
  line: string;
}

/** Shortest needle searched (shorter encoded fragments could match by chance). */
const MIN_NEEDLE = 12;

/** The base64/base64url text of `buf` as it would appear inside a longer encoded value, at each of the 3 alignments. */
function embeddedBase64(buf: Buffer, encoding: 'base64' | 'base64url'): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k, 0x2a), buf, Buffer.alloc(3, 0x2a)]).toString(encoding);
    // The first and last 4 characters mix in the neighbouring bytes; the middle is fixed by `buf` alone.
    out.push(enc.slice(4, enc.length - 8));
  }
  return out;
}

export function secretForms(value: string): { form: string; needle: string }[] {
  const raw = Buffer.from(value, 'utf8');
  const forms: { form: string; needle: string }[] = [
    { form: 'as issued', needle: value },
    { form: 'url-encoded', needle: encodeURIComponent(value) },
    { form: 'json-escaped', needle: JSON.stringify(value).slice(1, -1) },
    { form: 'hex', needle: raw.toString('hex') },
    { form: 'HEX', needle: raw.toString('hex').toUpperCase() },
    ...embeddedBase64(raw, 'base64').map((needle, i) => ({ form: `base64@${i}`, needle })),
    ...embeddedBase64(raw, 'base64url').map((needle, i) => ({ form: `base64url@${i}`, needle })),
  ];
  const m = /^(sv[kgo])_([A-Za-z0-9_-]+)$/.exec(value);
  if (m) {
    const body = m[2] as string;
    const bytes = Buffer.from(body, 'base64url');
    forms.push(
      { form: 'without prefix', needle: body },
      { form: 'random bytes, hex', needle: bytes.toString('hex') },
      { form: 'random bytes, base64', needle: bytes.toString('base64').replace(/=+$/, '') },
    );
  }
  const pem = /-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]+?)-----END/.exec(value);
  if (pem) {
    // A private key: any 40-character run of its base64 body (a key logged whole, or cut into lines).
    const b64 = (pem[1] as string).replace(/\s+/g, '');
    for (let i = 0; i + 40 <= b64.length; i += 40) forms.push({ form: `private key, chars ${i}–${i + 40}`, needle: b64.slice(i, i + 40) });
  }
  return forms.filter((f) => f.needle.length >= MIN_NEEDLE);
}

/** Every place a secret appears in `lines`, in any of its forms. */
export function findSecrets(lines: readonly string[], secrets: readonly Secret[]): Finding[] {
  const findings: Finding[] = [];
  const needles = secrets.flatMap((s) => secretForms(s.value).map((f) => ({ ...f, label: s.label })));
  for (const line of lines) {
    for (const n of needles) {
      if (line.includes(n.needle)) findings.push({ label: n.label, form: n.form, line: line.slice(0, 300) });
    }
  }
  return findings;
}
