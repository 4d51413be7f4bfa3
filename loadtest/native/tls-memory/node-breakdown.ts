/**
 * Where one TLS connection's memory goes in a Node server (docs/benchmarks.md, "Where a kit's
 * native memory goes"). Two measurements:
 *  1. RSS, JS heap and glibc's bytes in use per connection, with Node's TLS as it is and with
 *     SSL_MODE_RELEASE_BUFFERS also set on the server's SSL_CTX (Node already sets it on every
 *     connection, so the two should match);
 *  2. the allocations still live after the handshakes and some traffic, from glibc's allocation
 *     trace, grouped by what made them.
 * Needs c++, the running Node's headers (<prefix>/include/node), the openssl CLI and glibc's
 * libc_malloc_debug.so. Run: npx tsx loadtest/native/tls-memory/node-breakdown.ts [connections]
 * (about 2 minutes for the RSS runs, a few more for the trace).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect, type TLSSocket } from 'node:tls';

const conns = Number(process.argv[2] ?? 2000);
if (!Number.isInteger(conns) || conns < 1) {
  console.error('connections: a positive whole number');
  process.exit(2);
}
const MALLOC_DEBUG = '/usr/lib/x86_64-linux-gnu/libc_malloc_debug.so.0';
const dir = mkdtempSync(join(tmpdir(), 'sv-tls-breakdown-'));
const probe = join(dir, 'malloc-probe.node');
const nodeInclude = join(dirname(process.execPath), '..', 'include', 'node');
execFileSync('c++', [
  '-O2',
  '-std=c++17',
  '-shared',
  '-fPIC',
  `-I${nodeInclude}`,
  '-o',
  probe,
  new URL('./malloc-probe.cc', import.meta.url).pathname,
]);
const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
execFileSync(
  'openssl',
  ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'],
  { stdio: 'ignore' },
);
const ca = readFileSync(cert);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Figures = { rss: number; heap: number; malloc: number };

async function run(mode: 'plain' | 'ctx-release' | 'trace', n: number, trace?: string) {
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./node-server.ts', import.meta.url).pathname, probe, cert, key, mode],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: trace ? { ...process.env, LD_PRELOAD: MALLOC_DEBUG, MALLOC_TRACE: trace } : process.env,
    },
  );
  const lines = createInterface({ input: server.stdout })[Symbol.asyncIterator]();
  const line = async () => String((await lines.next()).value).split(' ');
  const port = Number((await line())[1]);
  const figures = async (): Promise<Figures> => {
    const f = await line();
    return { rss: Number(f[1]), heap: Number(f[3]), malloc: Number(f[5]) };
  };
  const idle = await figures();
  const report = () => {
    server.kill('SIGUSR1');
    return figures();
  };
  const clients: TLSSocket[] = [];
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from(
        { length: Math.min(50, n - i) },
        () =>
          new Promise<void>((resolve, reject) => {
            const c = connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }, () => resolve());
            c.on('error', reject);
            c.on('data', () => {});
            clients.push(c);
          }),
      ),
    );
  }
  await sleep(500);
  const handshake = await report();
  for (let k = 0; k < 10; k++) {
    for (const c of clients) c.write(Buffer.alloc(60, 1)); // a telemetry PUBLISH's size
    await sleep(200);
  }
  await sleep(1000);
  const traffic = await report();
  for (const c of clients) c.destroy();
  server.kill();
  const per = (f: Figures) => ({
    rss: (f.rss - idle.rss) / n,
    heap: (f.heap - idle.heap) / n,
    malloc: (f.malloc - idle.malloc) / n,
  });
  return { handshake: per(handshake), traffic: per(traffic) };
}

console.log(`${conns} idle TLS connections to a Node ${process.version} server, KiB per connection:`);
for (const mode of ['plain', 'ctx-release', 'plain', 'ctx-release'] as const) {
  const r = await run(mode, conns);
  const f = (x: Figures) => `RSS ${x.rss.toFixed(1)}, JS heap ${x.heap.toFixed(1)}, malloc in use ${x.malloc.toFixed(1)}`;
  console.log(`${mode.padEnd(11)} after the handshakes: ${f(r.handshake)}; after traffic: ${f(r.traffic)}`);
}

if (!existsSync(MALLOC_DEBUG)) {
  console.log(`no ${MALLOC_DEBUG}: the allocation breakdown is skipped`);
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
const traced = Math.min(conns, 200); // glibc's trace is slow: a few minutes for 200 connections
const traceFile = join(dir, 'mtrace.log');
await run('trace', traced, traceFile);
// glibc's trace lines: "@ caller + addr size", "@ caller - addr", "@ caller < old" / "> new size" (realloc).
const live = new Map<string, { caller: string; size: number }>();
for (const l of readFileSync(traceFile, 'latin1').split('\n')) {
  const [at, caller = '', op, addr = '', size = '0'] = l.split(' ');
  if (at !== '@' || !addr) continue;
  if (op === '+' || op === '>') live.set(addr, { caller, size: Number.parseInt(size, 16) });
  else if (op === '-' || op === '<') live.delete(addr);
}
const groups = new Map<string, number>();
for (const { caller, size } of live.values()) {
  let g = 'other';
  if (size === 65536) g = "one 64 KiB buffer (the encrypted input's first buffer, sized by libuv's read)";
  else if (/CRYPTO_|OPENSSL_|node:\[0x/.test(caller)) g = 'OpenSSL (the SSL object, handshake state, certificates)';
  else if (/ArrayBufferAllocator/.test(caller)) g = 'array buffers';
  else if (/libstdc\+\+|_ZN2v8|_ZN4node/.test(caller)) g = "Node's and V8's C++ objects";
  groups.set(g, (groups.get(g) ?? 0) + size);
}
console.log(`allocations live after the handshakes and traffic (${traced} connections, glibc's trace), KiB per connection:`);
for (const [g, bytes] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`  ${(bytes / 1024 / traced).toFixed(1).padStart(6)}  ${g}`);
rmSync(dir, { recursive: true, force: true });
