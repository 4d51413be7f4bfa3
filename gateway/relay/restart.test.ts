import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import { DEFAULT_SCOPE } from '../../cloud/stores/types.js';
import { loadConfig } from '../../shared/config/load.js';
import { cloudBehindProxy, FAST_RELAY, outboxRows, sleep } from '../../test/cloud-behind-proxy.js';
import { freePort, sousvide, waitFor } from '../../test/harness/index.js';
import { gatewayConfig } from '../config.js';
import { provisionSecret } from '../devices/provision.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { STORE_FILE } from '../store/open.js';
import { connectKit, startGateway, telemetry } from '../testing/fixture.js';

/**
 * What the relay keeps in SQLite across a restart (schema migration 3, docs/sync.md): the applied
 * desired-state version (an old desired state is not applied again) and the drop counts (a crash
 * forgets neither the totals nor the counts not yet reported).
 */
const env = await cloudBehindProxy(t, 'restart');

t.test('the applied desired version survives a restart: a cook stopped at the kitchen is not restarted', async (t) => {
  const overrides = { 'cloud.url': env.url, 'cloud.token': env.creds.gateway.token, 'mqtt.publishRatePerDevice': 0, ...FAST_RELAY };
  const gw1 = await startGateway(t, overrides);
  const operator = issueOperatorToken(tokenFilePath(gw1.dataDir));
  const dev = 'kit-rs1';
  const secret = await gw1.addKit(dev);
  const kit = await gw1.connect({ clientId: dev, username: dev, password: secret });
  await kit.publishAsync(`sv/${dev}/telemetry`, telemetry({ seq: 0, tempC: 40, heater: false }), { qos: 1 });
  await waitFor(
    'device known in the cloud',
    async () => ((await env.stores.meta.getDevice(DEFAULT_SCOPE, dev)) ? true : undefined),
    30_000,
  );
  await env.stores.meta.setDesiredCook(DEFAULT_SCOPE, dev, { targetC: 60, durationMin: 90 }, 'cook-cloud-rs1', Date.now(), {
    orgId: DEFAULT_SCOPE.orgId,
    id: `au-rs1-${Date.now()}`,
    ts: Date.now(),
    actor: { type: 'user', id: 'alice' },
    deviceId: dev,
    action: 'cook.start',
    reason: 'test',
    data: {},
    gatewayId: null,
  });
  await waitFor(
    'cloud cook applied',
    async () => (gw1.gateway.control.view(dev)?.cook?.id === 'cook-cloud-rs1' ? true : undefined),
    30_000,
  );
  const relay1 = gw1.gateway.relay;
  if (!relay1) throw new Error('relay not running');
  await waitFor('version applied', async () => (relay1.desiredVersion > 0 ? true : undefined));
  const version = relay1.desiredVersion;

  // The cloud becomes unreachable; the cook is stopped at the kitchen; the gateway restarts.
  env.proxy.set({ kind: 'refuse' });
  const stop = await fetch(`http://127.0.0.1:${gw1.httpPort}/v1/devices/${dev}/cook`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${operator}` },
  });
  t.equal(stop.status, 200, 'cook stopped locally');
  await kit.endAsync();
  await gw1.stop();

  const gw2 = await startGateway(t, { ...overrides, dataDir: gw1.dataDir });
  const relay2 = gw2.gateway.relay;
  if (!relay2) throw new Error('relay not running');
  await waitFor('kept state loaded', async () => (relay2.desiredVersion === version ? true : undefined), 10_000);
  t.equal(relay2.desiredVersion, version, 'after the restart the gateway reports the version it had applied');

  env.proxy.set({ kind: 'pass' });
  // (gw2 runs on gw1's data dir: the fixture's own temp dir is unused)
  await waitFor('outbox drained', async () => (outboxRows(gw1.dataDir) === 0 ? true : undefined), 30_000);
  await sleep(1500); // several idle syncs, each able to carry a desired state
  const cook = gw2.gateway.control.view(dev)?.cook;
  t.not(cook?.state, 'heating', 'the stopped cook was not started again');
  const db = new Sqlite(join(gw1.dataDir, STORE_FILE), { readonly: true });
  const starts = db.prepare("SELECT count(*) AS n FROM audit WHERE device_id = ? AND action = 'cook_start' AND actor = 'cloud'").get(dev);
  db.close();
  t.same(starts, { n: 1 }, 'the cloud cook was applied once, before the restart');
});

t.test('drop counts survive kill -9: totals kept, and every drop reaches the cloud in a relay_drop event', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-relay-restart-'));
  const [mqttPort, httpPort] = [await freePort(), await freePort()];
  const config = loadConfig(gatewayConfig, { overrides: { dataDir } });
  const KITS = ['kit-rs2a', 'kit-rs2b'];
  const secrets = new Map<string, string>();
  for (const id of KITS) secrets.set(id, (await provisionSecret(config, id, { init: true })).secret);
  const operator = issueOperatorToken(tokenFilePath(dataDir));
  const start = (): { child: ChildProcess; exited: Promise<NodeJS.Signals | null> } => {
    const args = [
      ...['gateway', '--data-dir', dataDir, '--mqtt-port', String(mqttPort), '--mqtt-host', '127.0.0.1'],
      ...['--http-port', String(httpPort), '--log-level', 'error', '--mqtt-conn-rate-per-addr', '0', '--mqtt-publish-rate-per-device', '0'],
      ...['--cloud-url', env.url, '--cloud-token', env.creds.gateway.token, '--relay-linger-ms', '50', '--relay-idle-sync-ms', '300'],
      ...['--relay-backoff-base-ms', '50', '--relay-backoff-max-ms', '300', '--relay-quota-bytes', '65536'],
      ...['--relay-stats-interval-ms', '100', '--relay-drop-report-ms', '600000'],
    ];
    const child = spawn(...sousvide(args), { stdio: ['ignore', 'ignore', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
    t.teardown(() => child.kill('SIGKILL'));
    return { child, exited };
  };
  const status = async () =>
    (await (
      await fetch(`http://127.0.0.1:${httpPort}/v1/relay`, { headers: { authorization: `Bearer ${operator}` } }).catch(() => null)
    )?.json()) as { dropped: Record<string, number>; backlog: { bytes: number } } | undefined;
  const healthy = () =>
    waitFor(
      'gateway',
      async () => ((await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => null))?.ok ? true : undefined),
      60_000,
    );

  env.proxy.set({ kind: 'refuse' });
  let gw = start();
  await healthy();
  const ca = readFileSync(join(dataDir, 'tls', 'ca.crt'));
  for (const id of KITS) {
    const client = await connectKit(mqttPort, ca, { clientId: id, username: id, password: secrets.get(id) as string });
    for (let seq = 0; seq < 500; seq++) {
      await client.publishAsync(`sv/${id}/telemetry`, telemetry({ boot: 1, seq, ts: Date.now(), tempC: 50 }), { qos: 1 });
    }
    await client.endAsync();
  }
  await waitFor(
    'quota enforced',
    async () => {
      const s = await status();
      return (s?.dropped['quota:telemetry'] ?? 0) > 0 && (s?.backlog.bytes ?? Number.POSITIVE_INFINITY) <= 65536 ? true : undefined;
    },
    30_000,
  );
  // Nothing is queued any more (the kits are gone, the link is down): the counts are settled.
  const dropped = await waitFor('counts settled', async () => {
    const a = JSON.stringify((await status())?.dropped);
    await sleep(500);
    const b = (await status())?.dropped;
    return a === JSON.stringify(b) ? b : undefined;
  });
  t.ok((dropped['quota:telemetry'] ?? 0) > 0, `dropped over the quota before the crash: ${JSON.stringify(dropped)}`);
  gw.child.kill('SIGKILL');
  t.equal(await gw.exited, 'SIGKILL', 'gateway killed with SIGKILL before any drop report was queued');

  gw = start();
  await healthy();
  // The relay reads its kept state as it starts; the local API may answer a moment before.
  const after = await waitFor('drop totals read back', async () => {
    const d = (await status())?.dropped;
    return d && Object.keys(d).length > 0 ? d : undefined;
  }).catch(() => ({}));
  t.same(after, dropped, 'after the crash the drop totals are the same');
  env.proxy.set({ kind: 'pass' });
  await waitFor('outbox drained', async () => (outboxRows(dataDir) === 0 ? true : undefined), 60_000);
  const reported = await waitFor('relay_drop reported', async () => {
    const events = (await env.stores.meta.listEvents(DEFAULT_SCOPE, { type: 'relay_drop' }, { limit: 50 })).items;
    const sum = events.reduce((a, e) => a + Number((e.data.dropped as Record<string, number>)['quota:telemetry'] ?? 0), 0);
    return sum > 0 ? sum : undefined;
  });
  t.equal(reported, dropped['quota:telemetry'], 'the drops counted before the crash reached the cloud, once');
  gw.child.kill('SIGTERM');
  await gw.exited;
});
