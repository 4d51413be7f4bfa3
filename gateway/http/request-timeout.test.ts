import { connect, type Socket } from 'node:net';
import t from 'tap';
import { kitWithApi, startGateway, telemetry } from '../testing/fixture.js';
import { REQUEST_TIMEOUT_MS } from './server.js';

/**
 * The local HTTP server's request timeout: a request whose body stops short of its Content-Length
 * is answered 408 and closed, not waited for as long as the client keeps the socket; a long
 * answer, the live stream, is not cut by it.
 */
const TIMEOUT_MS = 1000;

/** A raw connection that keeps what it received and when it closed. */
function rawClient(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now())));
    socket.once('error', reject);
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
  });
}

/** One gateway with a short request timeout for the tests that need it (kits of their own). */
const gw = await startGateway(t, {}, { httpRequestTimeoutMs: TIMEOUT_MS });

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<'timed out'>((r) => setTimeout(() => r('timed out'), ms).unref())]);

t.test('a body shorter than its Content-Length: 408 and the connection closed within the timeout', async (t) => {
  const { token } = await kitWithApi(t, gw, 'kit-slow');
  const c = await rawClient(gw.httpPort);
  t.teardown(() => c.socket.destroy());
  const sent = Date.now();
  c.socket.write(
    [
      'PUT /v1/devices/kit-slow/cook HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${token}`,
      'Content-Type: application/json',
      'Content-Length: 100',
      '',
      '{"targetC": 56, ',
    ].join('\r\n'),
  );
  // Without the timeout Node would wait 300 s; 20 s tells the two apart on a busy machine.
  const closedAt = await within(c.closed, 20_000);
  t.not(closedAt, 'timed out', `the gateway ended the request (after ${closedAt === 'timed out' ? '> 20 s' : `${closedAt - sent} ms`})`);
  t.match(c.received(), /^HTTP\/1\.1 408 /, 'answered 408 Request Timeout');
  t.match(
    c.received(),
    /\r\n\r\n\{"error":\{"code":"SV_ERR_VALIDATION","message":"request is invalid","details":\["request: not received in full in time"\]\}\}$/,
    "in the API's error body",
  );
  t.notMatch(c.received(), /HTTP\/1\.1 200/, 'the cook was not started');
  t.equal(gw.gateway.control.view('kit-slow')?.cook ?? null, null, 'no cook');
});

t.test('the live stream outlives the request timeout and keeps delivering', async (t) => {
  const { kit, token } = await kitWithApi(t, gw, 'kit-live');
  const c = await rawClient(gw.httpPort);
  t.teardown(() => c.socket.destroy());
  c.socket.write(
    [
      'GET /v1/stream?devices=kit-live HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${token}`,
      'Accept: text/event-stream',
      '',
      '',
    ].join('\r\n'),
  );
  t.equal(await within(c.closed, TIMEOUT_MS * 4), 'timed out', 'still open after four times the timeout');
  t.match(c.received(), /^HTTP\/1\.1 200 [\s\S]*event: ready/, 'the stream began');
  kit.publish('sv/kit-live/telemetry', telemetry({ seq: 1, tempC: 47.5 }), { qos: 1 });
  for (let i = 0; i < 200 && !/event: reading/.test(c.received()); i++) await new Promise((r) => setTimeout(r, 25));
  t.match(c.received(), /event: reading[\s\S]*47\.5/, 'a reading after the timeout arrives');
});

t.test('by default: 30 s for a whole request, and the headers no longer (Node would swap the two)', async (t) => {
  const plain = await startGateway(t, {});
  const server = plain.gateway.http.server;
  t.equal(server.requestTimeout, REQUEST_TIMEOUT_MS);
  t.equal(REQUEST_TIMEOUT_MS, 30_000);
  t.ok(server.headersTimeout <= server.requestTimeout, `headersTimeout ${server.headersTimeout} ms`);
});

t.test("headers over the size limit: 431 in the API's error body, the connection closed", async (t) => {
  const c = await rawClient(gw.httpPort);
  t.teardown(() => c.socket.destroy());
  c.socket.write(['GET /v1/devices HTTP/1.1', 'Host: 127.0.0.1', `Authorization: Bearer ${'x'.repeat(20_000)}`, '', ''].join('\r\n'));
  t.not(await within(c.closed, 20_000), 'timed out', 'closed');
  t.match(c.received(), /^HTTP\/1\.1 431 /);
  t.match(c.received(), /"details":\["headers: larger than the server accepts \(16 KiB\)"\]/);
});
