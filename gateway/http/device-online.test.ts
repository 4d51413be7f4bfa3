import t from 'tap';
import { startGateway, telemetry } from '../testing/fixture.js';
import { issueOperatorToken, tokenFilePath } from './operator-token.js';

/**
 * `online` in GET /v1/devices/{id} on a real gateway: a kit that never connected is not online,
 * even with a cook set on it; its first reading makes it so.
 */
t.test('a kit that never connected is offline with a cook set; its first reading makes it online', async (t) => {
  const gw = await startGateway(t, {});
  const secret = await gw.addKit('kit-quiet');
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as { online?: boolean; lastSeenMs?: number | null } };
  };
  t.equal(
    (await api('PUT', '/v1/devices/kit-quiet/cook', { targetC: 60, durationMin: 30 })).status,
    200,
    'a cook is set before the kit ever connects',
  );
  t.match((await api('GET', '/v1/devices/kit-quiet')).body, { online: false, lastSeenMs: null }, 'not online: it never said a word');
  const kit = await gw.connect({ clientId: 'kit-quiet', username: 'kit-quiet', password: secret });
  t.teardown(() => {
    kit.end(true);
  });
  kit.publish('sv/kit-quiet/telemetry', telemetry({ heater: false }), { qos: 1 });
  let seen = (await api('GET', '/v1/devices/kit-quiet')).body;
  for (let i = 0; i < 200 && !seen.online; i++) {
    await new Promise((r) => setTimeout(r, 10));
    seen = (await api('GET', '/v1/devices/kit-quiet')).body;
  }
  t.equal(seen.online, true, 'online once it reports');
  t.type(seen.lastSeenMs, 'number');
});
