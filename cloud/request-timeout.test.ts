import { connect } from 'node:net';
import t from 'tap';
import { credentials, startCloud, testConfig } from './testing/servers.js';

/**
 * The cloud's request timeout (http.requestTimeoutMs) on a real cloud: a batch whose body stops
 * short of its Content-Length is answered 408 and closed, not held for as long as the client
 * keeps the socket (Node's own default would wait 300 s).
 */
t.test('a body shorter than its Content-Length: 408, the connection closed', async (t) => {
  const c = await startCloud(t, testConfig(t, undefined, 'reqtimeout', { 'http.requestTimeoutMs': 1000 }));
  const creds = await credentials(c);
  const socket = connect(Number(new URL(c.base).port), '127.0.0.1');
  t.teardown(() => socket.destroy());
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (received += d));
  const closed = new Promise<'closed'>((r) => socket.on('close', () => r('closed')));
  await new Promise((r) => socket.once('connect', r));
  socket.write(
    [
      'POST /v1/ingest HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${creds.gateway.token}`,
      'Content-Type: application/json',
      'Content-Length: 500',
      '',
      '{"v":1,"batchId":"b-1","records":[',
    ].join('\r\n'),
  );
  const end = await Promise.race([closed, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 20_000).unref())]);
  t.equal(end, 'closed', 'the cloud ended the request');
  t.match(received, /^HTTP\/1\.1 408 /, 'answered 408 Request Timeout');
});
