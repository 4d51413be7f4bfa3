import t from 'tap';
import { kitWithApi, startGateway } from '../testing/fixture.js';

/** On a real gateway without a cloud: a 404 names what is missing; a 405 what the path takes. */
const gw = await startGateway(t, {});

t.test('404s name what is missing: a dead letter id, and the relay of a gateway that runs offline', async (t) => {
  const { api } = await kitWithApi(t, gw, 'kit-404');
  const replay = await api('POST', '/v1/dead-letters/99999/replay');
  t.equal(replay.status, 404);
  t.match(await replay.json(), { error: { code: 'SV_ERR_NOT_FOUND', details: ['params.id: no such dead letter'] } });
  const purge = await api('DELETE', '/v1/dead-letters/99999');
  t.equal(purge.status, 404);
  t.match(await purge.json(), { error: { details: ['params.id: no such dead letter'] } });
  const relay = await api('GET', '/v1/relay');
  t.equal(relay.status, 404);
  t.match(await relay.json(), {
    error: {
      code: 'SV_ERR_NOT_FOUND',
      message: 'the relay is off: this gateway has no cloud.url',
      details: ['cloud.url: not set (the gateway runs offline)'],
    },
  });
});

t.test('a path that exists with another method: 405 with Allow, not 404', async (t) => {
  const { api } = await kitWithApi(t, gw, 'kit-405');
  const list = await api('DELETE', '/v1/devices');
  t.equal(list.status, 405);
  t.equal(list.headers.get('allow'), 'GET, HEAD');
  t.match(await list.json(), { error: { code: 'SV_ERR_METHOD_NOT_ALLOWED', details: ['method: one of GET, HEAD'] } });
  const cook = await api('POST', '/v1/devices/kit-405/cook');
  t.equal(cook.status, 405);
  t.equal(cook.headers.get('allow'), 'PUT, DELETE', 'a cook is set with PUT and stopped with DELETE');
  const none = await api('POST', '/v1/nothing-here');
  t.equal(none.status, 404, 'a path no route has is still a 404 (the dashboard files do not make every path exist)');
  t.match(await none.json(), { error: { code: 'SV_ERR_NOT_FOUND', message: 'no route POST /v1/nothing-here' } });
});
