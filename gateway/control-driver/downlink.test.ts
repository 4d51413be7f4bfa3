import t from 'tap';
import { DEFAULT_SCOPE } from '../../cloud/stores/types.js';
import { cloudBehindProxy, FAST_RELAY, sleep } from '../../test/cloud-behind-proxy.js';
import { waitFor } from '../../test/harness/index.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { startGateway, telemetry } from '../testing/fixture.js';

t.test('a cook set in the cloud reaches the kit as a command, audited with the cloud as actor', async (t) => {
  const env = await cloudBehindProxy(t, 'downlink');
  const gw = await startGateway(t, {
    'cloud.url': env.url,
    'cloud.token': env.creds.gateway.token,
    'mqtt.publishRatePerDevice': 0,
    ...FAST_RELAY,
  });
  const secret = await gw.addKit('kit-down1');
  const kit = await gw.connect({ clientId: 'kit-down1', username: 'kit-down1', password: secret });
  t.teardown(() => kit.end(true));
  const commands: { op: string; expect?: string }[] = [];
  kit.on('message', (_topic, payload) => commands.push(JSON.parse(payload.toString()) as { op: string; expect?: string }));
  await kit.subscribeAsync('sv/kit-down1/cmd', { qos: 1 });
  let seq = 0;
  const reading = () => kit.publishAsync('sv/kit-down1/telemetry', telemetry({ seq: seq++, tempC: 40, heater: false }), { qos: 1 });
  await reading();
  // The cloud learns the device from the relayed records; then a user sets a cook there.
  await waitFor('device known in the cloud', async () => ((await env.stores.meta.countRows('devices')) > 0 ? true : undefined), 30_000);
  await env.stores.meta.setDesiredCook(DEFAULT_SCOPE, 'kit-down1', { targetC: 60, durationMin: 90 }, 'cook-cloud-d1', Date.now(), {
    orgId: DEFAULT_SCOPE.orgId,
    id: `au-${Date.now()}`,
    ts: Date.now(),
    actor: { type: 'user', id: 'alice' },
    deviceId: 'kit-down1',
    action: 'cook.start',
    reason: 'test',
    data: {},
    gatewayId: null,
  });
  const press = await waitFor(
    'a press command',
    async () => {
      await reading();
      return commands.find((c) => c.op === 'press');
    },
    30_000,
    200,
  );
  t.equal(press.expect, 'on', 'the bath is cold: the gateway presses the heater on');
  const view = gw.gateway.control.view('kit-down1');
  t.equal(view?.cook?.id, 'cook-cloud-d1', "the gateway runs the cloud's cook under the cloud's id");
  t.equal(view?.cook?.spec.targetC, 60);
  await new Promise((r) => setTimeout(r, 200));
  const audit = gw.db().prepare("SELECT actor, action FROM audit WHERE device_id = 'kit-down1' AND action = 'cook_start'").all();
  t.same(audit, [{ actor: 'cloud', action: 'cook_start' }], 'the cook start is audited with the cloud as actor');
});

t.test('a cook started at the kitchen becomes the cloud’s desired cook; a later cloud change reaches the kit; no ping-pong', async (t) => {
  const env = await cloudBehindProxy(t, 'adopt');
  const gw = await startGateway(t, {
    'cloud.url': env.url,
    'cloud.token': env.creds.gateway.token,
    'mqtt.publishRatePerDevice': 0,
    ...FAST_RELAY,
  });
  const operator = issueOperatorToken(tokenFilePath(gw.dataDir));
  const dev = 'kit-adopt1';
  const secret = await gw.addKit(dev);
  const kit = await gw.connect({ clientId: dev, username: dev, password: secret });
  t.teardown(() => kit.end(true));
  await kit.publishAsync(`sv/${dev}/telemetry`, telemetry({ seq: 0, tempC: 40, heater: false }), { qos: 1 });
  await waitFor(
    'device known in the cloud',
    async () => ((await env.stores.meta.getDevice(DEFAULT_SCOPE, dev)) ? true : undefined),
    30_000,
  );
  const audits = () =>
    gw
      .db()
      .prepare(
        "SELECT actor, action FROM audit WHERE device_id = ? AND action IN ('cook_start', 'cook_change', 'cook_stop') ORDER BY ts, id",
      )
      .all(dev) as { actor: string; action: string }[];

  // 1. Started at the kitchen: the cloud adopts it as the desired cook, and the gateway hears it back as its own.
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/v1/devices/${dev}/cook`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
    body: JSON.stringify({ targetC: 57, durationMin: 60 }),
  });
  t.equal(res.status, 200, 'local cook started');
  const localId = gw.gateway.control.view(dev)?.cook?.id as string;
  const adopted = await waitFor(
    'cloud adopts the local cook',
    async () => {
      const d = await env.stores.meta.getDesiredCook(DEFAULT_SCOPE, dev);
      return d?.cookId === localId ? d : undefined;
    },
    30_000,
  );
  t.match(
    adopted,
    { cookId: localId, spec: { targetC: 57, durationMin: 60 } },
    'the cloud shows the kitchen cook as the current desired cook',
  );
  const relay = gw.gateway.relay;
  if (!relay) throw new Error('relay not running');
  await waitFor('adopted state sent back', async () => (relay.desiredVersion >= adopted.version ? true : undefined), 30_000);
  await sleep(1500); // idle syncs in both directions
  t.match(await env.stores.meta.getDesiredCook(DEFAULT_SCOPE, dev), { cookId: localId, version: adopted.version }, 'the cloud stays put');
  t.equal(gw.gateway.control.view(dev)?.cook?.id, localId, 'the gateway keeps its cook');
  t.same(audits(), [{ actor: 'user', action: 'cook_start' }], 'nothing applied back and forth');

  // 2. A later change in the cloud reaches the kit (as the cook the gateway runs).
  await env.stores.meta.setDesiredCook(DEFAULT_SCOPE, dev, { targetC: 62, durationMin: 30 }, 'cook-cloud-adopt2', Date.now(), {
    orgId: DEFAULT_SCOPE.orgId,
    id: `au-adopt-${Date.now()}`,
    ts: Date.now(),
    actor: { type: 'user', id: 'alice' },
    deviceId: dev,
    action: 'cook.set',
    reason: 'test',
    data: {},
    gatewayId: null,
  });
  await waitFor(
    'cloud cook applied',
    async () => (gw.gateway.control.view(dev)?.cook?.id === 'cook-cloud-adopt2' ? true : undefined),
    30_000,
  );
  t.equal(gw.gateway.control.view(dev)?.cook?.spec.targetC, 62, 'the kit now cooks to the cloud’s target');
  const cloudVersion = (await env.stores.meta.getDesiredCook(DEFAULT_SCOPE, dev))?.version;
  await sleep(2000);
  t.match(
    await env.stores.meta.getDesiredCook(DEFAULT_SCOPE, dev),
    { cookId: 'cook-cloud-adopt2', version: cloudVersion, spec: { targetC: 62 } },
    'the gateway’s report of the cloud cook is not adopted back as a change',
  );
  t.same(
    audits(),
    [
      { actor: 'user', action: 'cook_start' },
      { actor: 'cloud', action: 'cook_change' },
    ],
    'one change from the cloud, nothing after it',
  );

  // 3. The cloud stops it: the gateway stops the cook it now knows came from the cloud.
  await env.stores.meta.setDesiredCook(DEFAULT_SCOPE, dev, null, 'unused', Date.now(), {
    orgId: DEFAULT_SCOPE.orgId,
    id: `au-adopt-stop-${Date.now()}`,
    ts: Date.now(),
    actor: { type: 'user', id: 'alice' },
    deviceId: dev,
    action: 'cook.stop',
    reason: 'test',
    data: {},
    gatewayId: null,
  });
  await waitFor('cloud stop applied', async () => (gw.gateway.control.view(dev)?.cook?.state === 'stopped' ? true : undefined), 30_000);
  t.pass('stopped from the cloud');
});
