import t from 'tap';
import { capturedLogger } from '../../test/harness/index.js';
import { startGateway } from '../testing/fixture.js';
import { plainCloudWarning } from './options.js';

/** A cloud reached over plain HTTP across the network is worth a warning at start; this machine is not. */
t.test('which cloud URLs warn', async (t) => {
  t.match(plainCloudWarning('http://cloud.example.com')?.message, /^cloud\.url is plain HTTP to cloud\.example\.com: the gateway token/);
  t.match(plainCloudWarning('http://user:pw@192.0.2.1:8443/x'), { origin: 'http://192.0.2.1:8443', message: /192\.0\.2\.1:8443/ });
  for (const quiet of ['https://cloud.example.com', 'http://127.0.0.1:8443', 'http://localhost:8443', 'http://[::1]:8443', undefined]) {
    t.equal(plainCloudWarning(quiet), undefined, String(quiet));
  }
});

t.test('a gateway started with a plain-HTTP cloud across the network says so once, naming the cloud, not the token', async (t) => {
  const { log, lines } = capturedLogger('gateway');
  const token = 'svg_plain-http-cloud-token-0000';
  await startGateway(t, { 'cloud.url': 'http://192.0.2.1:9', 'cloud.token': token }, {}, log);
  const warned = lines
    .map((l) => JSON.parse(l) as { level: number; msg: string; cloudUrl?: string })
    .filter((l) => /plain HTTP/.test(l.msg));
  t.equal(warned.length, 1);
  t.equal(warned[0]?.level, 40, 'a warning');
  t.equal(warned[0]?.cloudUrl, 'http://192.0.2.1:9');
  t.notOk(
    lines.some((l) => l.includes(token)),
    'the token is in no log line',
  );
});
