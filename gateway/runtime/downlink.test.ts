import t from 'tap';
import { cloudBehindProxy, FAST_RELAY } from '../../test/cloud-behind-proxy.js';
import { waitFor } from '../../test/harness/index.js';
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
  await env.stores.meta.setDesiredCook('kit-down1', { targetC: 60, durationMin: 90 }, 'cook-cloud-d1', Date.now(), {
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
