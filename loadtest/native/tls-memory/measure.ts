/**
 * RSS per TLS connection of an OpenSSL server with and without SSL_MODE_RELEASE_BUFFERS: what
 * OpenSSL's record buffers cost while a connection is idle. Node's TLS sets that mode on every
 * connection (node-breakdown.ts measures a Node server; docs/benchmarks.md, "Where a kit's native
 * memory goes"). Needs cc, OpenSSL's headers and the openssl CLI. Run: npx tsx loadtest/native/tls-memory/measure.ts [connections]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect, type TLSSocket } from 'node:tls';

const conns = Number(process.argv[2] ?? 2000);
if (!Number.isInteger(conns) || conns < 1) {
  console.error('connections: a positive whole number');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'sv-tls-memory-'));
const bin = join(dir, 'server');
execFileSync('cc', ['-O2', '-o', bin, new URL('./server.c', import.meta.url).pathname, '-lssl', '-lcrypto']);
const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
execFileSync(
  'openssl',
  ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'],
  {
    stdio: 'ignore',
  },
);
const ca = readFileSync(cert);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(release: boolean): Promise<{ handshake: number; traffic: number }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn(bin, [String(port), release ? '1' : '0', cert, key], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: server.stdout })[Symbol.asyncIterator]();
  const next = async () => Number(String((await lines.next()).value).split(' ')[1]);
  const rss = () => {
    server.kill('SIGUSR1');
    return next();
  };
  const idle = await next();
  const clients: TLSSocket[] = [];
  for (let i = 0; i < conns; i += 50) {
    const batch = Array.from({ length: Math.min(50, conns - i) }, () => {
      return new Promise<void>((resolve, reject) => {
        const c = connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }, () => resolve());
        c.on('error', reject);
        c.on('data', () => {});
        clients.push(c);
      });
    });
    await Promise.all(batch);
  }
  await sleep(500);
  const handshake = await rss();
  for (let k = 0; k < 10; k++) {
    for (const c of clients) c.write(Buffer.alloc(60, 1));
    await sleep(200);
  }
  await sleep(1000);
  const traffic = await rss();
  for (const c of clients) c.destroy();
  server.kill();
  return { handshake: (handshake - idle) / conns, traffic: (traffic - idle) / conns };
}

for (const release of [false, true, false, true]) {
  const r = await run(release);
  console.log(
    `SSL_MODE_RELEASE_BUFFERS ${release ? 'on ' : 'off'}: ${r.handshake.toFixed(1)} KiB a connection after the handshake, ${r.traffic.toFixed(1)} after traffic (${conns} connections)`,
  );
}
