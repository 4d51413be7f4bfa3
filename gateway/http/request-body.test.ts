import t from 'tap';
import { kitWithApi, startGateway } from '../testing/fixture.js';

/** The local API's JSON bodies on a real gateway: a key twice in one object is refused, and nothing is started. */
t.test('a cook whose body repeats a key is refused, naming it; no cook starts', async (t) => {
  const gw = await startGateway(t, {});
  const { api, token } = await kitWithApi(t, gw, 'kit-body');
  const twice = await fetch(`http://127.0.0.1:${gw.httpPort}/v1/devices/kit-body/cook`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{"targetC":56,"durationMin":30,"targetC":85}',
  });
  t.equal(twice.status, 400);
  t.match(await twice.json(), {
    error: { code: 'SV_ERR_PAYLOAD_DUPLICATE_KEY', details: ['body.targetC: appears more than once in one object'] },
  });
  const device = (await (await api('GET', '/v1/devices/kit-body')).json()) as { cook: unknown };
  t.equal(device.cook, null, 'no cook was started');
});
