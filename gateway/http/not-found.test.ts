import t from 'tap';
import { kitWithApi, startGateway } from '../testing/fixture.js';

/** On a real gateway without a cloud: a 404 names what is missing. */
t.test('404s name what is missing: a dead letter id, and the relay of a gateway that runs offline', async (t) => {
  const gw = await startGateway(t, {});
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
