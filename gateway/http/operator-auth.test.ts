import t from 'tap';
import { startGateway } from '../testing/fixture.js';
import { issueOperatorToken, tokenFilePath } from './operator-token.js';

/**
 * The local API's operator token on a real gateway: what a 401 says (missing, not a bearer token,
 * or the wrong token), and the scheme's name read without regard to case.
 */
t.test('a 401 says what was wrong with the Authorization header; "bearer" is read in any case', async (t) => {
  const gw = await startGateway(t, {});
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const get = async (authorization?: string) => {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/v1/devices`, { headers: authorization ? { authorization } : {} });
    return { status: res.status, body: (await res.json()) as { error?: { message: string; details: string[] } } };
  };
  const none = await get();
  t.equal(none.status, 401);
  t.same(none.body.error?.details, ['authorization: required']);
  const basic = await get('Basic dXNlcjpwYXNz');
  t.equal(basic.status, 401);
  t.same(basic.body.error?.details, ['authorization: must be "Bearer <token>"']);
  const wrong = await get('Bearer svo_this-is-not-the-token');
  t.equal(wrong.status, 401);
  t.same(wrong.body.error?.details, ['authorization: invalid or revoked token']);
  t.equal(wrong.body.error?.message, 'wrong operator token');
  t.notMatch(JSON.stringify(wrong.body), token, 'the answer never holds the token');
  t.equal((await get(`Bearer ${token}`)).status, 200);
  t.equal((await get(`bearer ${token}`)).status, 200, 'lower-case scheme');
  t.equal((await get(`BEARER  ${token}`)).status, 200, 'upper-case scheme, two spaces');
});
