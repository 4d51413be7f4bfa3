import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** A config key that names a PEM file, and what the file must hold. */
export interface PemFileKey {
  key: string;
  path: string | undefined;
  /** `certificate`: a server or client certificate (the first block is the leaf); `ca`: one or more CA certificates. */
  kind: 'certificate' | 'ca' | 'private key';
  /** A host the certificate must name (a server certificate and the name clients reach it by). */
  mustName?: { key: string; host: string };
}

/** A certificate key and its private-key key: both or neither, and the key must be the certificate's. */
export interface PemPairKeys {
  cert: PemFileKey & { kind: 'certificate' };
  privateKey: PemFileKey & { kind: 'private key' };
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'no permission to read it',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of its path is a file, not a directory',
};

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Checks, before anything starts, the PEM files a config names: each can be read and holds what
 * its key says, and each certificate goes with its private key. A mistake here otherwise shows
 * up as an OpenSSL message (`PEM routines::no start line`, `key values mismatch`) from deep in
 * the start-up, or not until the first TLS connection. Returns one `key: path: reason` line per
 * problem, as the config loader's problems read.
 */
export function pemFileProblems(files: readonly PemFileKey[], pairs: readonly PemPairKeys[] = []): string[] {
  const problems: string[] = [];
  const certs = new Map<string, X509Certificate>();
  const keys = new Map<string, KeyObject>();
  for (const pair of pairs) {
    if ((pair.cert.path === undefined) !== (pair.privateKey.path === undefined)) {
      const [missing, given] = pair.cert.path === undefined ? [pair.cert, pair.privateKey] : [pair.privateKey, pair.cert];
      problems.push(`${missing.key}: required when ${given.key} is set`);
    }
  }
  for (const f of [...pairs.flatMap((p) => [p.cert, p.privateKey]), ...files]) {
    if (f.path === undefined) continue;
    let text: string;
    try {
      text = readFileSync(f.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
      problems.push(`${f.key}: ${f.path}: ${READ_ERRORS[code] ?? 'cannot be read'} (${code})`);
      continue;
    }
    const problem = f.kind === 'private key' ? checkKey(f, text, keys) : checkCerts(f, text, certs);
    if (problem) problems.push(`${f.key}: ${f.path}: ${problem}`);
  }
  for (const pair of pairs) {
    const cert = certs.get(pair.cert.key);
    const key = keys.get(pair.privateKey.key);
    if (cert && key && !cert.checkPrivateKey(key)) {
      problems.push(`${pair.privateKey.key}: ${pair.privateKey.path}: is not the private key of the certificate in ${pair.cert.key}`);
    }
  }
  return problems;
}

function checkCerts(f: PemFileKey, text: string, certs: Map<string, X509Certificate>): string | undefined {
  const blocks = text.match(CERT_BLOCK);
  if (!blocks) {
    return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)
      ? 'holds a private key, not a certificate'
      : 'holds no PEM certificate (no -----BEGIN CERTIFICATE----- block)';
  }
  for (const [i, block] of blocks.entries()) {
    try {
      const cert = new X509Certificate(block);
      if (i === 0) certs.set(f.key, cert);
    } catch {
      return `certificate ${i + 1} of ${blocks.length} does not parse`;
    }
  }
  const leaf = certs.get(f.key);
  const must = f.mustName;
  if (leaf && must) {
    const named = isIP(must.host) ? leaf.checkIP(must.host) : leaf.checkHost(must.host);
    if (named === undefined) return `does not name ${must.key} ${must.host}: kits that connect to ${must.host} will refuse it`;
  }
  return undefined;
}

function checkKey(f: PemFileKey, text: string, keys: Map<string, KeyObject>): string | undefined {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
    return 'the private key is encrypted; give it unencrypted (there is no passphrase setting), readable only by this user';
  }
  try {
    const key = createPrivateKey(text);
    keys.set(f.key, key);
    return undefined;
  } catch {
    return /-----BEGIN CERTIFICATE-----/.test(text)
      ? 'holds a certificate, not a private key'
      : 'holds no PEM private key (no -----BEGIN … PRIVATE KEY----- block that parses)';
  }
}
