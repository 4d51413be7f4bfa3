import type { ErrorWithReasonCode } from 'mqtt';
import t from 'tap';
import { revoke } from '../../devices/provision.js';
import { counter, startGateway } from '../../testing/fixture.js';
import { connectV5, rawV5, v5Connect } from './testing.js';

t.test('MQTT 5 CONNECT: refusals carry v5 reason codes and are counted by reason', async (t) => {
  const gw = await startGateway(t, { 'auth.maxFailures': 1000, 'auth.failureDelayMs': 0 });
  const secret = await gw.addKit('kit-v5c');
  const revokedSecret = await gw.addKit('kit-v5r');
  revoke({ dataDir: gw.dataDir } as never, 'kit-v5r');
  const refusal = (id: string, password: string) =>
    connectV5(gw, id, password).then(
      (c) => {
        c.end(true);
        return 0;
      },
      (err: ErrorWithReasonCode) => err.code,
    );

  t.equal(await refusal('kit-v5c', `${secret}x`), 0x86, 'wrong secret: 0x86 bad user name or password');
  t.equal(await refusal('kit-v5nobody', secret), 0x87, 'unknown device: 0x87 not authorized');
  t.equal(await refusal('kit-v5r', revokedSecret), 0x87, 'revoked device: 0x87 not authorized');
  t.equal(await refusal('Not A Device Id', secret), 0x85, 'a client id that is not a device id: 0x85');
  const m = await gw.metrics();
  t.equal(counter(m, 'auth_failed_total', 'bad_secret'), 1);
  t.equal(counter(m, 'auth_failed_total', 'unknown_device'), 1);
  t.equal(counter(m, 'auth_failed_total', 'revoked'), 1);
  t.equal(counter(m, 'auth_failed_total', 'bad_client_id'), 1);
  t.equal(counter(m, 'auth_failed_total'), 4, 'each refusal counted once');
  t.equal(counter(m, 'auth_ok_total'), 0);
  const rows = gw.db().prepare("SELECT device_id, detail FROM security_events WHERE kind = 'auth_failed' ORDER BY id").all();
  t.same(
    rows,
    [
      { device_id: 'kit-v5c', detail: 'bad_secret' },
      { device_id: 'kit-v5nobody', detail: 'unknown_device' },
      { device_id: 'kit-v5r', detail: 'revoked' },
      { device_id: 'Not A Device Id', detail: 'bad_client_id' },
    ],
    'and recorded by the authentication hook, as for MQTT 3.1.1',
  );

  const ok = await connectV5(gw, 'kit-v5c', secret);
  t.ok(ok.connected, 'the right secret connects');
  ok.end(true);
});

t.test('MQTT 5 CONNECT with an Authentication Method: 0x8C, counted', async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-v5e');
  const raw = await rawV5(gw);
  raw.send({ ...v5Connect('kit-v5e', secret), properties: { authenticationMethod: 'SCRAM-SHA-1' } } as never);
  t.equal((await raw.connack()).reasonCode, 0x8c, 'bad authentication method');
  await raw.closed;
  t.pass('and the connection is closed');
  const m = await gw.metrics();
  t.equal(counter(m, 'auth_failed_total', 'bad_auth_method'), 1);
  t.equal(counter(m, 'auth_ok_total'), 0, 'the secret was never checked');
});

t.test('MQTT 5 with a client certificate: the TLS identity reaches the authenticator', async (t) => {
  const gw = await startGateway(t);
  const { cert, key } = gw.addCertKit('kit-v5cert');
  const c = await gw.connect({ protocolVersion: 5, clientId: 'kit-v5cert', cert, key });
  t.ok(c.connected, 'a v5 kit authenticates with its certificate (no password)');
  await c.publishAsync('sv/kit-v5cert/telemetry', '{"v":1,"boot":0,"seq":0,"ts":null,"tempC":50,"sensor":"ok","heater":false}', { qos: 1 });
  t.equal((gw.db().prepare('SELECT count(*) AS n FROM telemetry WHERE device_id = ?').get('kit-v5cert') as { n: number }).n, 1);
  c.end(true);
  const spoof = await gw.connect({ protocolVersion: 5, clientId: 'kit-v5other', cert, key }).catch((e: ErrorWithReasonCode) => e.code);
  t.equal(spoof, 0x87, 'its certificate does not open another id (client_id_mismatch)');
  t.equal(counter(await gw.metrics(), 'auth_failed_total', 'client_id_mismatch'), 1);
});
