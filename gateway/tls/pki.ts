import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { makeDir } from '../../shared/fs/paths.js';
import { privateDir } from '../../shared/fs/private.js';

/**
 * The gateway's own PKI, made on first run so that a new install and the demo get TLS without
 * any set-up (docs/adr/006-device-identity.md):
 * - server CA → the gateway's server certificate; kits pin this CA (`ca.crt`);
 * - device CA → client certificates for kits that use certificate auth (CN = device id).
 * Two CAs, so a server certificate can never pass as a device certificate and vice versa.
 * Keys are RSA-2048 made by Node's crypto (fast); certificates are signed with node-forge.
 */
export interface Pki {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  deviceCaFile: string;
  deviceCaKeyFile: string;
}

export function pkiPaths(dataDir: string): Pki {
  const dir = join(dataDir, 'tls');
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    deviceCaFile: join(dir, 'device-ca.crt'),
    deviceCaKeyFile: join(dir, 'device-ca.key'),
  };
}

/**
 * Creates whatever part of the PKI is missing; returns the paths. `publicHosts` are the names or
 * addresses kits use for this gateway (`mqtt.publicHost`): an IP address goes into the server
 * certificate as an IP address (a client checks an IP against those, never against DNS names),
 * and a server certificate that does not name one of them (the public host was changed after the
 * first run) is issued again by the same CA, so kits need nothing new. `reissued` lists the hosts
 * that made it so.
 */
export function ensurePki(dataDir: string, publicHosts: readonly string[] = []): { pki: Pki; created: boolean; reissued: string[] } {
  const pki = pkiPaths(dataDir);
  privateDir(dataDir);
  makeDir(pki.dir, 'data dir', { mode: 0o700 });
  let created = false;
  let reissued: string[] = [];
  const caKeyFile = join(pki.dir, 'ca.key');
  if (!existsSync(pki.caFile) || !existsSync(pki.serverCertFile)) {
    const ca = makeCa('sousvide gateway server CA');
    writeSecret(caKeyFile, ca.keyPem);
    writeFileSync(pki.caFile, ca.certPem);
    writeServerCert(pki, ca, publicHosts);
    created = true;
  } else {
    reissued = unnamedHosts(readFileSync(pki.serverCertFile), publicHosts);
    if (reissued.length > 0 && existsSync(caKeyFile)) {
      writeServerCert(pki, { certPem: readFileSync(pki.caFile, 'utf8'), keyPem: readFileSync(caKeyFile, 'utf8') }, publicHosts);
    } else reissued = [];
  }
  if (!existsSync(pki.deviceCaFile) || !existsSync(pki.deviceCaKeyFile)) {
    const dca = makeCa('sousvide gateway device CA');
    writeSecret(pki.deviceCaKeyFile, dca.keyPem);
    writeFileSync(pki.deviceCaFile, dca.certPem);
    created = true;
  }
  return { pki, created, reissued };
}

/** The hosts (names or IP addresses) a certificate does not name. */
function unnamedHosts(certPem: Buffer | string, hosts: readonly string[]): string[] {
  const cert = new X509Certificate(certPem);
  return hosts.filter((h) => (isIP(h) ? cert.checkIP(h) === undefined : cert.checkHost(h) === undefined));
}

function writeServerCert(pki: Pki, ca: KeyCert, publicHosts: readonly string[]): void {
  const hosts = [...new Set(['localhost', hostname(), ...publicHosts.filter((h) => !isIP(h))])];
  const ips = [...new Set(['127.0.0.1', '::1', ...publicHosts.filter((h) => isIP(h))])];
  const server = makeLeaf(ca, 'sousvide-gateway', { server: true, hosts, ips });
  writeSecret(pki.serverKeyFile, server.keyPem);
  writeFileSync(pki.serverCertFile, server.certPem);
}

export interface IssuedCert {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the DER certificate, hex: what the gateway records for the device. */
  fingerprint: string;
}

/** A client certificate for a kit, signed by the device CA (CN = device id). */
export function issueDeviceCert(pki: Pki, deviceId: string): IssuedCert {
  const ca = {
    certPem: readFileSync(pki.deviceCaFile, 'utf8'),
    keyPem: readFileSync(pki.deviceCaKeyFile, 'utf8'),
  };
  return makeLeaf(ca, deviceId, { server: false, hosts: [], ips: [] });
}

export function certFingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

interface KeyCert {
  certPem: string;
  keyPem: string;
}

function rsaKeys(): { publicPem: string; privatePem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { publicPem: publicKey, privatePem: privateKey };
}

function baseCert(publicPem: string, years: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`; // positive, 128 bits
  cert.validity.notBefore = new Date(Date.now() - 5 * 60_000);
  cert.validity.notAfter = new Date(Date.now() + years * 365 * 24 * 3600_000);
  return cert;
}

function makeCa(commonName: string): KeyCert {
  const keys = rsaKeys();
  const cert = baseCert(keys.publicPem, 20);
  const attrs = [{ name: 'commonName', value: commonName }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privatePem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem };
}

function makeLeaf(ca: KeyCert, commonName: string, opts: { server: boolean; hosts: string[]; ips: string[] }): IssuedCert {
  const keys = rsaKeys();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = baseCert(keys.publicPem, opts.server ? 5 : 10);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [...opts.hosts.map((value) => ({ type: 2, value })), ...opts.ips.map((ip) => ({ type: 7, ip }))];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: opts.server, clientAuth: !opts.server },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem, fingerprint: certFingerprint(der) };
}

function writeSecret(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}
