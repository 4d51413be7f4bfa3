import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IClientOptions } from 'mqtt';
import t from 'tap';
import { DEFAULT_SCOPE } from '../../cloud/stores/types.js';
import { api, credentials, startCloud, startServers, testConfig } from '../../cloud/testing/servers.js';
import { provisionCert, rotate } from '../../gateway/devices/provision.js';
import { issueOperatorToken } from '../../gateway/http/operator-token.js';
import { closed, startGateway, telemetry } from '../../gateway/testing/fixture.js';
import { FAST_RELAY } from '../cloud-behind-proxy.js';
import { capturedLogger, waitFor } from '../harness/index.js';
import { findSecrets, type Secret } from './secret-scan.js';

/**
 * Secrets never reach a log line. A gateway and a cloud run with every log line captured at debug
 * level while device secrets are issued and rotated, a client certificate is issued, API keys and
 * gateway tokens are created and revoked, and each of them is used in failed logins (MQTT, the
 * local API, the cloud API, the relay with a revoked token). Then the captured output is searched
 * for every issued secret in every form of secret-scan.ts (whose own test shows it finds them).
 */
const servers = await startServers(t);
const c = await startCloud(t, testConfig(t, servers, 'sec_logs', { 'rateLimit.anonPerMin': 1000, 'auth.failuresPerAddress': 1000 }));
const creds = await credentials(c);

const { log: gatewayLog, lines: gatewayLines } = capturedLogger('gateway', 'debug');

t.test('issued secrets, rotated secrets, tokens and keys never appear in the gateway or cloud logs', async (t) => {
  const secrets: Secret[] = [
    { label: 'admin key', value: creds.admin },
    { label: 'operator key', value: creds.operator },
    { label: 'viewer key', value: creds.viewer },
    { label: 'gateway token (admin.ts)', value: creds.gateway.token },
  ];
  // Cloud credentials issued through the API.
  const gwAdd = await api(c.base, 'POST', '/v1/gateways', creds.admin, { name: 'gw-logs' });
  t.equal(gwAdd.status, 201);
  const keyAdd = await api(c.base, 'POST', '/v1/keys', creds.admin, { role: 'operator', owner: 'olga' });
  t.equal(keyAdd.status, 201);
  secrets.push({ label: 'gateway token (API)', value: gwAdd.body.token }, { label: 'API key (API)', value: keyAdd.body.key });

  // A gateway relaying to the cloud with that token, logging everything.
  const gw = await startGateway(
    t,
    {
      ...FAST_RELAY,
      'cloud.url': c.base,
      'cloud.token': gwAdd.body.token,
      'auth.maxFailures': 4,
      'auth.failureDelayMs': 0,
      'log.level': 'debug',
    },
    {},
    gatewayLog,
  );
  const operator = issueOperatorToken(join(gw.dataDir, 'operator-token.sha256'));
  secrets.push({ label: 'operator token', value: operator });
  const s1 = await gw.addKit('kit-log-1');
  const s2 = await gw.addKit('kit-log-2');
  const cert = provisionCert({ dataDir: gw.dataDir, mqtt: { port: gw.mqttPort } } as never, 'kit-log-cert');
  secrets.push(
    { label: 'device secret kit-log-1', value: s1 },
    { label: 'device secret kit-log-2', value: s2 },
    { label: 'client key kit-log-cert', value: readFileSync(cert.keyFile, 'utf8') },
  );

  // A kit connects and publishes: telemetry relayed to the cloud with the token.
  const kit = await gw.connect({ clientId: 'kit-log-1', username: 'kit-log-1', password: s1 });
  await kit.publishAsync('sv/kit-log-1/telemetry', telemetry({ seq: 1 }), { qos: 1 });
  await waitFor(
    'telemetry relayed',
    async () => ((await c.cloud.stores.meta.getDevice(DEFAULT_SCOPE, 'kit-log-1')) ? true : undefined),
    30_000,
  );

  // Rotation: the connected kit is disconnected, the old secret stops working, the new one works.
  const gone = closed(kit);
  const rotated = await rotate({ dataDir: gw.dataDir, mqtt: { port: gw.mqttPort } } as never, 'kit-log-1');
  secrets.push({ label: 'rotated secret kit-log-1', value: rotated.secret });
  await gone;
  const attempt = (o: IClientOptions) =>
    gw.connect({ ...o, localAddress: '127.0.0.2' } as IClientOptions).then(
      (client) => {
        client.end(true);
        return 'connected';
      },
      () => 'refused',
    );
  t.equal(
    await attempt({ clientId: 'kit-log-1', username: 'kit-log-1', password: s1 }),
    'refused',
    'the old secret is refused after rotation',
  );
  t.equal(await attempt({ clientId: 'kit-log-1', username: 'kit-log-1', password: rotated.secret }), 'connected', 'the new one works');
  // Failed logins with real secrets in the wrong places (until the address is banned: that is logged too).
  for (const o of [
    { clientId: 'kit-log-1', username: 'kit-log-1', password: s2 },
    { clientId: 'kit-log-2', username: 'kit-log-1', password: rotated.secret },
    { clientId: 'kit-log-2', username: 'kit-log-2', password: `${s2}x` },
    { clientId: 'kit-log-2', username: s2, password: s2 },
    { clientId: 'kit-log-2', username: 'kit-log-2', password: s2.slice(0, -1) },
  ]) {
    t.equal(await attempt(o), 'refused');
  }
  t.equal(await attempt({ clientId: s1.replace(/_/g, '-').toLowerCase().slice(0, 30), username: s1, password: s1 }), 'refused');

  // HTTP: each credential presented where it does not belong, and revoked ones.
  const gwApi = `http://127.0.0.1:${gw.httpPort}`;
  for (const token of [creds.admin, gwAdd.body.token, s1, `${operator}x`]) {
    t.equal((await api(gwApi, 'GET', '/v1/devices', token)).status, 401);
  }
  t.equal((await api(gwApi, 'GET', '/v1/devices', operator)).status, 200, 'the operator token works on the local API');
  for (const token of [operator, s1, rotated.secret, gwAdd.body.token]) {
    t.equal((await api(c.base, 'GET', '/v1/devices', token)).status, 401);
  }
  t.equal((await api(c.base, 'POST', '/v1/ingest', keyAdd.body.key, { v: 1 })).status, 401);
  t.equal((await api(c.base, 'DELETE', `/v1/keys/${keyAdd.body.id}`, creds.admin)).status, 204);
  t.equal((await api(c.base, 'GET', '/v1/devices', keyAdd.body.key)).status, 401, 'a revoked key is refused');
  // Revoking the gateway's token while its relay runs: the relay's refused batches are logged.
  t.equal((await api(c.base, 'DELETE', '/v1/gateways/gw-logs', creds.admin)).status, 204);
  const kit2 = await gw.connect({ clientId: 'kit-log-2', username: 'kit-log-2', password: s2 });
  await kit2.publishAsync('sv/kit-log-2/telemetry', telemetry({ seq: 2 }), { qos: 1 });
  kit2.end(true);
  await waitFor(
    'the relay reports the refused token',
    async () => (gatewayLines.some((l) => /"part":"relay"/.test(l) && /401|unauthori[sz]ed|refused/i.test(l)) ? true : undefined),
    30_000,
  );
  await gw.stop();

  const lines = [...c.logs, ...gatewayLines];
  t.ok(gatewayLines.length >= 10, `the gateway logged ${gatewayLines.length} lines`);
  t.ok(c.logs.length >= 1, `the cloud logged ${c.logs.length} lines`);
  t.ok(
    gatewayLines.some((l) => l.includes('credentials changed: device disconnected')),
    'the rotation was logged (so the scenario ran with logging on)',
  );
  t.ok(
    gatewayLines.some((l) => l.includes('address banned')),
    'and the ban after failed logins',
  );
  const findings = findSecrets(lines, secrets);
  t.same(findings, [], `no secret in ${lines.length} log lines (${secrets.length} secrets searched)`);
});
