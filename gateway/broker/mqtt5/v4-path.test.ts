import { TLSSocket } from 'node:tls';
import type { Client } from 'aedes';
import t from 'tap';
import { closed, counter, startGateway, telemetry } from '../../testing/fixture.js';
import { aedesOf, connectV5, rawV5 } from './testing.js';

const aedesClient = (gw: Awaited<ReturnType<typeof startGateway>>, id: string) =>
  (aedesOf(gw) as unknown as { clients: Record<string, Client> }).clients[id];

t.test('MQTT 3.1.1 and 3.1 kits get the original TLS socket: nothing between it and Aedes after the CONNECT', async (t) => {
  const gw = await startGateway(t);
  for (const [id, version] of [
    ['kit-v4a', { protocolVersion: 4 }],
    ['kit-v31', { protocolVersion: 3, protocolId: 'MQIsdp' }],
  ] as const) {
    const secret = await gw.addKit(id);
    const c = await gw.connect({ clientId: id, username: id, password: secret, ...version });
    await c.publishAsync(`sv/${id}/telemetry`, telemetry({ seq: 5 }), { qos: 1 });
    t.same(gw.db().prepare('SELECT seq FROM telemetry WHERE device_id = ?').all(id), [{ seq: 5 }], `${id}: stored as before`);
    const conn = aedesClient(gw, id)?.conn as unknown as TLSSocket;
    t.ok(conn instanceof TLSSocket, `${id}: Aedes reads the TLS socket itself`);
    t.equal(conn.listenerCount('data'), 1, `${id}: its only 'data' listener is the packet guard (no adapter on the path)`);
    c.end(true);
  }
  const secret = await gw.addKit('kit-v5z');
  const c5 = await connectV5(gw, 'kit-v5z', secret);
  t.notOk(aedesClient(gw, 'kit-v5z')?.conn instanceof TLSSocket, 'an MQTT 5 kit is served through the adapter');
  c5.end(true);
});

t.test('MQTT 3.1.1 refusals are unchanged: an ACL refusal closes the connection', async (t) => {
  const gw = await startGateway(t);
  const secret = await gw.addKit('kit-v4b');
  const c = await gw.connect({ clientId: 'kit-v4b', username: 'kit-v4b', password: secret });
  const gone = closed(c);
  c.publish('sv/kit-other/telemetry', telemetry(), { qos: 1 });
  await gone;
  t.equal(counter(await gw.metrics(), 'acl_denied_total', 'publish'), 1);
});

t.test('a connection whose first packet does not arrive in time is closed and counted once (connect_timeout)', async (t) => {
  const gw = await startGateway(t, { 'mqtt.connectTimeoutMs': 300 });
  const silent = await rawV5(gw);
  const half = await rawV5(gw);
  half.send(Buffer.from([0x10, 0x20, 0x00, 0x04, 0x4d])); // a CONNECT announcing 32 bytes, 3 sent
  await Promise.all([silent.closed, half.closed]);
  await new Promise((r) => setTimeout(r, 100));
  const m = await gw.metrics();
  t.equal(counter(m, 'protocol_error_total', 'connect_timeout'), 2, 'both counted as connect_timeout');
  t.equal(counter(m, 'protocol_error_total'), 2, 'and once each');
});

t.test('a first packet that is not a CONNECT still reaches Aedes, which refuses it as before', async (t) => {
  const gw = await startGateway(t);
  const raw = await rawV5(gw);
  raw.send(Buffer.from([0xc0, 0x00])); // PINGREQ first
  await raw.closed;
  await new Promise((r) => setTimeout(r, 100));
  t.equal(counter(await gw.metrics(), 'protocol_error_total', 'malformed'), 1);
});
