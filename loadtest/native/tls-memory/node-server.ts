/**
 * The server half of node-breakdown.ts: a Node TLS server with the gateway's TLS options
 * (gateway/broker/listeners.ts) that answers every record with 4 bytes, as the gateway answers a
 * PUBLISH with a PUBACK. Args: <probe.node> <cert> <key> <mode: plain|ctx-release|trace>.
 * Prints "port N", then one line of figures at start and on each SIGUSR1:
 * "rss <KiB> heap <KiB> malloc <KiB>". In trace mode glibc's allocation trace runs from the first
 * line to the third (start, after the handshakes, after the traffic).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type TLSSocket } from 'node:tls';

interface Probe {
  mallinfo(): number;
  mtrace(on: boolean): void;
  setReleaseBuffers(ext: unknown): number;
}
const [probePath, certPath, keyPath, mode] = process.argv.slice(2);
if (!probePath || !certPath || !keyPath || !['plain', 'ctx-release', 'trace'].includes(mode ?? '')) {
  console.error('usage: node-server.ts <probe.node> <cert> <key> <plain|ctx-release|trace>');
  process.exit(2);
}
const probe = createRequire(import.meta.url)(probePath) as Probe;
const sockets: TLSSocket[] = [];
const server = createServer(
  {
    key: readFileSync(keyPath),
    cert: readFileSync(certPath),
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
  },
  (s) => {
    sockets.push(s);
    s.on('data', (d: Buffer) => s.write(d.subarray(0, 4)));
    s.on('error', () => {});
  },
);
if (mode === 'ctx-release') {
  // Node's server keeps its context here; `_external` is the SSL_CTX pointer Node exposes to addons.
  const creds = (server as unknown as { _sharedCreds: { context: { _external: unknown } } })._sharedCreds;
  probe.setReleaseBuffers(creds.context._external);
}
let reports = 0;
function report(): void {
  const m = process.memoryUsage();
  process.stdout.write(`rss ${m.rss / 1024} heap ${m.heapUsed / 1024} malloc ${probe.mallinfo() / 1024}\n`);
  reports++;
  if (mode === 'trace' && reports === 1) probe.mtrace(true);
  if (mode === 'trace' && reports === 3) probe.mtrace(false);
}
process.on('SIGUSR1', report);
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`port ${typeof a === 'object' && a ? a.port : 0}\n`);
  setTimeout(report, 300);
});
