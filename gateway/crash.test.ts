import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import t, { type Test } from 'tap';
import { loadConfig } from '../shared/config/load.js';
import { freePort, sousvide, waitFor } from '../test/harness/index.js';
import { startRedis } from '../test/harness/redis.js';
import { gatewayConfig } from './config.js';
import { provisionSecret } from './devices/provision.js';
import { STORE_FILE } from './store/open.js';
import { connectKit, telemetry } from './testing/fixture.js';

const KITS = 200;

function startGatewayProcess(dataDir: string, mqttPort: number, httpPort: number, extraArgs: string[]) {
  const child = spawn(
    ...sousvide([
      'gateway',
      '--data-dir',
      dataDir,
      '--mqtt-port',
      String(mqttPort),
      '--mqtt-host',
      '127.0.0.1',
      '--http-port',
      String(httpPort),
      '--log-level',
      'warn',
      '--mqtt-conn-rate-per-addr',
      '0',
      ...extraArgs,
    ]),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
  return { child, exited };
}

/** The gateway's broker node processes (ADR 024): children of its pid. */
function childrenOf(pid: number | undefined): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

t.test('kill -9 under load: every acknowledged (device, boot, seq) is in the store exactly once', (t) => killUnderLoad(t, []));

t.test('kill -9 of a gateway with two broker nodes: the same, and the nodes exit with it', async (t) => {
  const redis = await startRedis(t);
  await killUnderLoad(t, ['--mqtt-nodes', '2', '--mqtt-cluster-redis-url', redis.url]);
});

async function killUnderLoad(t: Test, extraArgs: string[]): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-crash-'));
  const [mqttPort, httpPort] = [await freePort(), await freePort()];
  const config = loadConfig(gatewayConfig, { overrides: { dataDir, 'mqtt.port': mqttPort } });
  const secrets = new Map<string, string>();
  for (let i = 0; i < KITS; i++) {
    const id = `kit-c${String(i).padStart(3, '0')}`;
    secrets.set(id, (await provisionSecret(config, id, { init: true })).secret);
  }
  let gw = startGatewayProcess(dataDir, mqttPort, httpPort, extraArgs);
  t.teardown(() => gw.child.kill('SIGKILL'));
  await waitFor('gateway', async () => ((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok ? true : undefined));
  const ca = readFileSync(join(dataDir, 'tls', 'ca.crt'));

  const acked: string[] = [];
  let sent = 0;
  let running = true;
  const clients: MqttClient[] = [];
  // Kits come up 20 at a time (each first connection costs the gateway one scrypt verification).
  let gate = Promise.resolve();
  const kits = [...secrets].map(async ([id, secret], k) => {
    const turn = gate.then(() => new Promise<void>((r) => setTimeout(r, k % 20 === 0 ? 200 : 0)));
    gate = turn;
    await turn;
    let client: MqttClient | undefined;
    while (!client && running) {
      // a real kit retries with backoff when a connection attempt fails
      client = await connectKit(mqttPort, ca, {
        clientId: id,
        username: id,
        password: secret,
        keepalive: 30,
        connectTimeout: 60_000,
      }).catch(async () => {
        await new Promise((r) => setTimeout(r, 500));
        return undefined;
      });
    }
    if (!client) return;
    clients.push(client);
    client.on('error', () => {});
    for (let seq = 0; running && client.connected; seq++) {
      sent++;
      const ok = await new Promise<boolean>((resolve) =>
        client.publish(`sv/${id}/telemetry`, telemetry({ boot: 1, seq, tempC: 40 + (k % 50) }), { qos: 1 }, (err) => resolve(!err)),
      );
      if (ok) acked.push(`${id}/1/${seq}`);
      await new Promise((r) => setTimeout(r, 60 + Math.random() * 60)); // under the per-device rate limit
    }
  });
  // Kill at a random moment once the load is flowing.
  await waitFor('load', async () => (acked.length > KITS * 5 ? true : undefined), 60_000, 20);
  await new Promise((r) => setTimeout(r, 300 + Math.random() * 1200));
  const nodes = childrenOf(gw.child.pid);
  if (extraArgs.length > 0) t.equal(nodes.length, 2, 'two broker node processes ran under the gateway');
  gw.child.kill('SIGKILL');
  t.equal(await gw.exited, 'SIGKILL', 'the gateway was killed with SIGKILL');
  await waitFor('the broker nodes to exit', async () => (nodes.every((pid) => !existsSync(`/proc/${pid}`)) ? true : undefined), 10_000);
  if (extraArgs.length > 0) t.pass('no broker node outlived the gateway process');
  running = false;
  const ackedAtKill = acked.length;
  for (const c of clients) c.end(true);
  await Promise.allSettled(kits);
  t.ok(ackedAtKill > KITS * 5, `${ackedAtKill} messages were acknowledged of ${sent} sent before the kill`);

  // Restart: the store recovers (WAL) and the gateway serves again.
  gw = startGatewayProcess(dataDir, mqttPort, httpPort, extraArgs);
  await waitFor('gateway after restart', async () => ((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok ? true : undefined));
  const db = new Sqlite(join(dataDir, STORE_FILE), { readonly: true });
  t.teardown(() => db.close());
  const count = db.prepare('SELECT count(*) AS n FROM telemetry WHERE device_id = ? AND boot = ? AND seq = ?');
  const missing: string[] = [];
  const duplicated: string[] = [];
  for (const key of acked) {
    const [id, boot, seq] = key.split('/') as [string, string, string];
    const n = (count.get(id, Number(boot), Number(seq)) as { n: number }).n;
    if (n === 0) missing.push(key);
    if (n > 1) duplicated.push(key);
  }
  t.same(missing, [], `all ${acked.length} acknowledged messages survived the kill`);
  t.same(duplicated, [], 'none is stored twice');
  const total = (db.prepare('SELECT count(*) AS n FROM telemetry').get() as { n: number }).n;
  t.ok(
    total >= acked.length,
    `the store holds ${total} rows ≥ ${acked.length} acknowledged (a commit may land just before its PUBACK was lost)`,
  );
  gw.child.kill('SIGTERM');
  await gw.exited;
}
