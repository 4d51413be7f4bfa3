import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import t from 'tap';
import { openStore } from '../../gateway/store/open.js';
import { ensurePki } from '../../gateway/tls/pki.js';
import { isSvError } from '../../shared/errors.js';
import { freePort } from '../../shared/net/free-port.js';
import { BINARIES, findBinary } from '../../test/harness/packages.js';
import type { PartitionMessage, PartitionSpec } from '../partition.js';
import { runPartitions } from '../run-partitions.js';
import { prepareHostedGateway, startCooks } from '../targets/hosted-gateway.js';
import { startMosquitto } from '../targets/mosquitto.js';
import { buildKitgen, KITGEN_CFLAGS, KITGEN_LIBS, KITGEN_SOURCE } from './build.js';
import { nativeSpecText, runNativePartition } from './native-partition.js';

// The native generator against real brokers over real TLS (ADR 021): the gateway and a private
// Mosquitto, with every figure checked against what the broker itself saw.
// A fresh Debian machine may lack the compiler, the OpenSSL headers or Mosquitto: the harness
// installs them (as root) or names the package.
findBinary({ binary: 'cc', candidates: ['/usr/bin/cc'], aptPackage: 'build-essential' });
findBinary({ binary: 'openssl/ssl.h', candidates: ['/usr/include/openssl/ssl.h'], aptPackage: 'libssl-dev' });
findBinary(BINARIES.mosquitto);
const work = mkdtempSync(join(tmpdir(), 'sv-kitgen-'));
const bin = buildKitgen();
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

t.test('kitgen.c compiles with -Wall -Wextra without a warning; the build is cached by source hash', async (t) => {
  const r = spawnSync('cc', [...KITGEN_CFLAGS, '-Werror', '-o', join(work, 'kitgen-strict'), KITGEN_SOURCE, ...KITGEN_LIBS], {
    encoding: 'utf8',
  });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr, '', 'no compiler output');
  t.equal(buildKitgen(), bin, 'the cached binary is reused');
  t.match(bin, /node_modules\/\.cache\/sousvide\/kitgen-[0-9a-f]{16}$/);
  try {
    buildKitgen({ cc: 'sv-no-such-cc', cacheDir: join(work, 'cache') });
    t.fail('a missing compiler must throw');
  } catch (err) {
    t.ok(isSvError(err, 'SV_ERR_NATIVE_BUILD'));
    t.match((err as Error).message, /no C compiler.*apt-get install build-essential libssl-dev/);
  }
});

t.test('a bad spec exits with code 2 and names the field', async (t) => {
  const base: PartitionSpec = {
    index: 0,
    host: '127.0.0.1',
    port: 1,
    kits: [{ id: 'kit-1' }],
    ratePerKit: 1,
    durationS: 1,
    connectParallelism: 1,
    qos: 1,
    boot: 0,
  };
  const cases: [string, string, RegExp][] = [
    ['rate', nativeSpecText(base).replace('rate 1', 'rate fast'), /"rate" must be a number/],
    ['qos', nativeSpecText(base).replace('qos 1', 'qos 2'), /"qos" must be an integer from 0 to 1/],
    ['missing port', nativeSpecText(base).replace('port 1\n', ''), /missing field "port"/],
    ['unknown field', `${nativeSpecText(base)}colour blue\n`, /unknown field "colour"/],
    ['kit count', nativeSpecText(base).replace('kits 1', 'kits 2'), /"kits" says 2 but there are 1 kit lines/],
    ['kit id', nativeSpecText(base).replace('kit kit-1', 'kit sv/+'), /kit "id" missing or invalid/],
    ['ca', nativeSpecText(base).replace('ca -', `ca ${join(work, 'nope.pem')}`), /"ca": cannot read CA file .*nope\.pem: No such file/],
  ];
  for (const [name, text, re] of cases) {
    const file = join(work, `bad-${name.replace(/ /g, '-')}.spec`);
    writeFileSync(file, text);
    const r = spawnSync(bin, [file], { encoding: 'utf8' });
    t.equal(r.status, 2, `${name}: exit code 2`);
    t.match(r.stderr, re, `${name}: ${r.stderr.trim()}`);
  }
  t.equal(spawnSync(bin, [], { encoding: 'utf8' }).status, 2, 'no spec file: exit code 2');
});

t.test('against the gateway: every publish acked and stored, a wrong secret counted, commands timed', async (t) => {
  const hosted = await prepareHostedGateway(join(work, 'gw'), 201, 'nt');
  const kits = hosted.kits.map((k, i) => (i === 200 ? { id: k.id, secret: `${k.secret}x` } : k));
  const gw = await hosted.start(join(work, 'gateway.log'));
  t.teardown(() => gw.stop());
  const commandKits = kits.slice(0, 10).map((k) => k.id);
  await startCooks(gw.httpPort, hosted.token, commandKits);
  const r = await runPartitions(
    {
      host: '127.0.0.1',
      port: gw.mqttPort,
      caFile: hosted.pki.caFile,
      ratePerKit: 1,
      durationS: 5,
      connectParallelism: 50,
      qos: 1,
      boot: 1,
      commandKits,
      client: 'native',
      hotAfterMs: 0,
    },
    kits,
    2,
    work,
  );
  const c = r.counters;
  t.equal(c.connected, 200, 'every kit with its own secret connected');
  t.equal(c.connectFailed, 1, 'the kit with a wrong secret did not');
  t.same(r.errors, { 'gateway:connack_refused': 1 }, 'and its refusal is the only error');
  t.ok(c.published >= 200 * 4, `about 5 s × 200 kits published (${c.published})`);
  t.equal(c.acked, c.published, 'every message acknowledged');
  t.equal(c.failed, 0, 'none failed');
  t.equal(sum(r.puback.counts), c.acked, 'the PUBACK histogram holds every acked message');
  t.equal(sum(r.connect.counts), c.connected, 'the connect histogram holds every connect');
  t.ok(c.commands >= 1, `telemetry → command timed (${c.commands} commands)`);
  t.ok(r.command.count <= c.commands);
  t.ok(r.cpuMs > 0 && r.steadyCpuMs > 0 && r.steadyCpuMs < r.cpuMs, `generator CPU ${r.cpuMs} ms, steady ${r.steadyCpuMs} ms`);
  await gw.stop();
  const db = openStore(hosted.dataDir);
  const row = db.prepare("SELECT count(*) AS n FROM telemetry WHERE boot = 1 AND device_id LIKE 'nt-%'").get() as { n: number };
  db.close();
  t.equal(row.n, c.acked, 'the gateway stored exactly the acknowledged messages');
});

t.test('against Mosquitto: every publish acked; a broker that dies mid-run is counted, not fatal', async (t) => {
  const { pki } = ensurePki(join(work, 'pki'));
  const port = await freePort();
  const m = await startMosquitto({ dir: work, port, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile });
  let stopped = false;
  t.teardown(() => (stopped ? undefined : m.stop()));
  const kits = Array.from({ length: 200 }, (_, i) => ({ id: `mq-${String(i).padStart(5, '0')}` }));
  const base = { host: '127.0.0.1', port, caFile: pki.caFile, ratePerKit: 1, connectParallelism: 50, qos: 1 as const, boot: 1 };
  const r = await runPartitions({ ...base, durationS: 5, client: 'native' }, kits, 1, work);
  t.equal(r.counters.connected, 200, 'every kit connected');
  t.ok(r.counters.published >= 200 * 4, `published ${r.counters.published}`);
  t.equal(r.counters.acked, r.counters.published, 'every message acknowledged');
  t.same(r.errors, {}, 'no errors');
  t.equal(sum(r.puback.counts), r.counters.acked, 'the PUBACK histogram holds every acked message');

  // Closed loop: Mosquitto is frozen for a second while 50 kits publish 10 msg/s with one message
  // in flight each; every due publish is either sent or held, and everything sent is acked.
  let frozen = false;
  let closed: Extract<PartitionMessage, { type: 'final' }> | undefined;
  const cl: PartitionSpec = { ...base, index: 0, ratePerKit: 10, durationS: 3, maxInFlight: 1, kits: kits.slice(0, 50) };
  await runNativePartition(bin, cl, join(work, 'closed.spec'), (msg) => {
    if (msg.type === 'final') closed = msg;
    else if (msg.counters.acked > 100 && !frozen) {
      frozen = true;
      m.child.kill('SIGSTOP');
      setTimeout(() => m.child.kill('SIGCONT'), 1000);
    }
  });
  const cc = closed?.counters;
  t.ok(cc && cc.held > 0, `publishes held while the broker was frozen (${cc?.held})`);
  t.equal(cc && cc.published + cc.held, 50 * 10 * 3, 'published + held = every due publish (30 per kit)');
  t.equal(cc?.acked, cc?.published, 'everything sent was acked after the thaw');

  // Mosquitto is stopped while 50 kits publish: lost messages fail, kitgen still reports.
  let final: Extract<PartitionMessage, { type: 'final' }> | undefined;
  const spec: PartitionSpec = { ...base, index: 0, durationS: 3, kits: kits.slice(0, 50) };
  const done = runNativePartition(bin, spec, join(work, 'loss.spec'), (msg) => {
    if (msg.type === 'final') final = msg;
    else if (msg.counters.acked > 50 && !stopped) {
      stopped = true;
      void m.stop();
    }
  });
  const exit = await done;
  t.equal(exit.code, 0, 'kitgen exits normally');
  t.ok(final, 'and prints its final line');
  const f = final?.counters;
  t.ok(f && f.failed > 0, `messages after the loss failed (${f?.failed})`);
  t.equal(f && f.acked + f.failed, f?.published, 'published = acked + failed');
  t.ok((final?.errors['gateway:reset'] ?? 0) + (final?.errors['other:not connected'] ?? 0) > 0, JSON.stringify(final?.errors));
});

t.test('plain TCP (no CA) against an Aedes broker', async (t) => {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => broker.close(() => resolve()))));
  const kits = Array.from({ length: 20 }, (_, i) => ({ id: `tcp-${i}` }));
  const r = await runPartitions(
    { host: '127.0.0.1', port, ratePerKit: 2, durationS: 2, connectParallelism: 10, qos: 1, boot: 0, client: 'native' },
    kits,
    1,
    work,
  );
  t.equal(r.counters.connected, 20);
  t.ok(r.counters.published >= 20 * 3, `published ${r.counters.published}`);
  t.equal(r.counters.acked, r.counters.published);
  t.equal(sum(r.puback.counts), r.counters.acked);
});
