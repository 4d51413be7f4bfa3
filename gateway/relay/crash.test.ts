import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import { DEFAULT_SCOPE } from '../../cloud/stores/types.js';
import { latestOf, pointsOf } from '../../cloud/testing/read-back.js';
import { loadConfig } from '../../shared/config/load.js';
import { cloudBehindProxy, outboxRows } from '../../test/cloud-behind-proxy.js';
import { freePort, sousvide, waitFor } from '../../test/harness/index.js';
import { gatewayConfig } from '../config.js';
import { provisionSecret } from '../devices/provision.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { STORE_FILE } from '../store/open.js';
import { connectKit, telemetry } from '../testing/fixture.js';

/**
 * kill -9 of the gateway process after the cloud committed a batch and before its 2xx reached the
 * gateway (the fault proxy delays every chunk, so the reply is still on its way): nothing lost,
 * nothing twice in InfluxDB, Redis or MySQL after the restart.
 */
const env = await cloudBehindProxy(t, 'relaycrash');
const dataDir = mkdtempSync(join(tmpdir(), 'sv-relay-crash-'));
const [mqttPort, httpPort] = [await freePort(), await freePort()];
const config = loadConfig(gatewayConfig, { overrides: { dataDir } });
const KITS = 6;
const PER_KIT = 30;
const kits = Array.from({ length: KITS }, (_, i) => `kit-crash${i}`);
const secrets = new Map<string, string>();
for (const id of kits) secrets.set(id, (await provisionSecret(config, id, { init: true })).secret);
const operator = issueOperatorToken(tokenFilePath(dataDir));

function startGatewayProcess(): { child: ChildProcess; exited: Promise<NodeJS.Signals | null> } {
  const args = [
    ...['gateway', '--data-dir', dataDir, '--mqtt-port', String(mqttPort), '--mqtt-host', '127.0.0.1'],
    ...['--http-port', String(httpPort), '--log-level', 'warn', '--mqtt-conn-rate-per-addr', '0'],
    ...['--cloud-url', env.url, '--cloud-token', env.creds.gateway.token, '--relay-linger-ms', '50'],
    ...['--relay-backoff-base-ms', '50', '--relay-backoff-max-ms', '300', '--relay-idle-sync-ms', '600000'],
  ];
  const child = spawn(...sousvide(args), { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
  t.teardown(() => child.kill('SIGKILL'));
  return { child, exited };
}

function auditIds(): string[] {
  const db = new Sqlite(join(dataDir, STORE_FILE), { readonly: true });
  try {
    return (db.prepare("SELECT record FROM outbox WHERE kind = 'audit'").all() as { record: string }[]).map(
      (r) => (JSON.parse(r.record) as { id: string }).id,
    );
  } finally {
    db.close();
  }
}

const healthy = () =>
  waitFor('gateway', async () => ((await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => null))?.ok ? true : undefined), 60_000);
const points = async (id: string) => (await pointsOf(env.stores, id, 0, Date.now() + 60_000)).map((p) => p.seq);

t.test('kill -9 between the cloud commit and the 2xx: nothing lost, no duplicate', async (t) => {
  env.proxy.set({ kind: 'refuse' });
  let gw = startGatewayProcess();
  await healthy();
  const ca = readFileSync(join(dataDir, 'tls', 'ca.crt'));
  for (const id of kits) {
    const client = await connectKit(mqttPort, ca, { clientId: id, username: id, password: secrets.get(id) as string });
    for (let seq = 0; seq < PER_KIT; seq++) {
      await client.publishAsync(`sv/${id}/telemetry`, telemetry({ boot: 1, seq, ts: Date.now(), tempC: 50 }), { qos: 1 });
    }
    await client.endAsync();
  }
  // A cook started at the kitchen: audit and cook records (MySQL) in the same outbox.
  const cook = await fetch(`http://127.0.0.1:${httpPort}/v1/devices/${kits[0]}/cook`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
    body: JSON.stringify({ targetC: 58, durationMin: 30 }),
  });
  t.equal(cook.status, 200, 'local cook started');
  await waitFor('queued', async () =>
    outboxRows(dataDir, 'telemetry') === KITS * PER_KIT && outboxRows(dataDir, 'cook') > 0 ? true : undefined,
  );
  const queuedAudit = auditIds();
  t.ok(queuedAudit.length > 0, `audit records queued: ${queuedAudit.length}`);

  // Each chunk now takes 2 s each way: the cloud commits, the 2xx is still in the proxy.
  env.proxy.set({ kind: 'delay', ms: 2000 });
  await waitFor(
    'cloud committed a batch',
    async () => {
      for (const id of kits) if ((await points(id)).length > 0) return true;
      return undefined;
    },
    60_000,
    20,
  );
  gw.child.kill('SIGKILL');
  t.equal(await gw.exited, 'SIGKILL', 'gateway killed with SIGKILL');
  t.equal(outboxRows(dataDir, 'telemetry'), KITS * PER_KIT, 'the committed batch is still in the outbox: its 2xx never arrived');

  env.proxy.set({ kind: 'pass' });
  env.proxy.resetConnections();
  gw = startGatewayProcess();
  await healthy();
  await waitFor('outbox drained', async () => (outboxRows(dataDir) === 0 ? true : undefined), 60_000);
  for (const id of kits) {
    t.same(
      (await points(id)).sort((a, b) => a - b),
      Array.from({ length: PER_KIT }, (_, i) => i),
      `${id}: every reading in InfluxDB exactly once`,
    );
  }
  const latest = await latestOf(env.stores, kits, Date.now());
  t.same(
    kits.map((id) => latest.get(id)?.seq),
    kits.map(() => PER_KIT - 1),
    'Redis holds the newest reading of each kit',
  );
  // Every kit's audit: the watchdog audits each kit it marks offline (the kits disconnect one by
  // one), and which of those are queued before the kill depends on timing.
  const audit = await env.stores.meta.listAudit(DEFAULT_SCOPE, {}, { limit: 500 });
  t.equal(new Set(audit.items.map((a) => a.id)).size, audit.items.length, 'no audit id twice');
  // (The resumed cook may audit more after the restart: every record queued before the kill must be there.)
  t.same(
    queuedAudit.filter((id) => !audit.items.some((a) => a.id === id)),
    [],
    'every audit record queued before the kill is in MySQL',
  );
  t.equal(await env.stores.meta.countRows('cooks'), 1, 'the local cook in MySQL once');
  gw.child.kill('SIGTERM');
  await gw.exited;
});
