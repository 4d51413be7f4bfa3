import t from 'tap';
import { api, credentials } from '../cloud/testing/servers.js';
import { startGateway } from '../gateway/testing/fixture.js';
import { cloudBehindProxy } from './cloud-behind-proxy.js';
import { waitFor } from './harness/index.js';
import { webhookReceiver } from './harness/notify-receivers.js';

/**
 * A second kitchen made from a copy of the first gateway's SD card: two running gateways send with
 * one gateway token. The cloud tells the org (its audit, its notification channels, a counter);
 * a gateway that restarts under its token is not mistaken for a copy. Real gateways, a real cloud,
 * a real webhook receiver.
 */
const env = await cloudBehindProxy(t, 'sharedtoken');
const secret = 'whsec-shared-token-test-0123456789';
const hook = await webhookReceiver(secret);
await hook.start();
t.teardown(() => hook.stop());
const added = await api(env.cloud.base, 'POST', '/v1/notifications/channels', env.creds.admin, { kind: 'webhook', url: hook.url, secret });
if (added.status !== 201) throw new Error(`could not add the webhook channel: ${JSON.stringify(added.body)}`);

const RELAY = { 'relay.lingerMs': 50, 'relay.idleSyncMs': 200 };
const shared = async () => {
  const m = await env.cloud.cloud.metrics.registry.getSingleMetric('gateway_token_shared_total')?.get();
  return m?.values[0]?.value ?? 0;
};
const audits = async (gatewayId: string) =>
  (
    (await api(env.cloud.base, 'GET', '/v1/audit?limit=500', env.creds.admin)).body as {
      items: { action: string; data: { gatewayId?: string } }[];
    }
  ).items.filter((a) => a.action === 'gateway.token_shared' && a.data.gatewayId === gatewayId);

t.test('a gateway restarted under its token is not a copy', async (t) => {
  const own = await credentials(env.cloud);
  const cfg = { 'cloud.url': env.url, 'cloud.token': own.gateway.token, ...RELAY };
  const first = await startGateway(t, cfg);
  await new Promise((r) => setTimeout(r, 1500)); // several heartbeats
  await first.stop();
  const second = await startGateway(t, cfg);
  await new Promise((r) => setTimeout(r, 1500));
  await second.stop();
  t.equal(await shared(), 0, 'nothing counted');
  t.same(await audits(own.gateway.id), [], 'nothing audited');
});

t.test('two running gateways with one token: the org is told, once', async (t) => {
  const cfg = { 'cloud.url': env.url, 'cloud.token': env.creds.gateway.token, ...RELAY };
  await startGateway(t, cfg);
  await startGateway(t, cfg); // the copy, on its own data dir
  const n = await waitFor(
    'the notification at the webhook',
    async () => hook.received.find((d) => d.body.type === 'gateway_token_shared'),
    20_000,
  );
  t.ok(n.check.ok, 'signed');
  t.match(n.body.text, new RegExp(`Two running gateways use the token of the gateway ${env.creds.gateway.id}`));
  await new Promise((r) => setTimeout(r, 1500)); // more interleaved heartbeats
  t.equal(await shared(), 1, 'counted once');
  t.equal((await audits(env.creds.gateway.id)).length, 1, 'one audit row for the org');
  t.equal(hook.received.filter((d) => d.body.type === 'gateway_token_shared').length, 1, 'one notification');
});
