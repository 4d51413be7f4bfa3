import Fastify from 'fastify';
import t from 'tap';
import { installErrorHandlers } from './errors.js';
import { installJsonBody } from './json-body.js';

/**
 * The JSON body parser of both servers, on a real Fastify instance with the shared error handler:
 * each refusal names its reason, a repeated key is refused (the last value would win silently),
 * and a route may skip that scan for large machine-made bodies.
 */
const PROTO = `body: a key that would set an object's prototype ("__proto__", or "constructor" holding "prototype") is not allowed`;
const http = Fastify();
installErrorHandlers(http);
installJsonBody(http);
http.post('/echo', async (req) => ({ got: req.body }));
http.post('/bulk', { config: { jsonDuplicateKeys: 'skip' } }, async (req) => ({ got: req.body }));
t.teardown(() => http.close());

const post = async (url: string, payload: string) => {
  const res = await http.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } });
  return { status: res.statusCode, body: res.json() as { got?: unknown; error?: { code: string; details: string[] } } };
};

t.test('a body is parsed as before', async (t) => {
  t.same(await post('/echo', '{"targetC":60,"nested":{"a":[1,{"b":2}]}}'), {
    status: 200,
    body: { got: { targetC: 60, nested: { a: [1, { b: 2 }] } } },
  });
});

t.test('each refusal names its reason', async (t) => {
  t.same(await post('/echo', '   '), { status: 200, body: {} }, 'an empty body is no body: the route decides whether it needs one');
  const broken = await post('/echo', '{"targetC": 60,');
  t.equal(broken.status, 400);
  t.equal(broken.body.error?.code, 'SV_ERR_PAYLOAD_NOT_JSON');
  t.match(broken.body.error?.details, [/^body: not valid JSON \(.+\)$/], "with the parser's reason");
  const proto = await post('/echo', '{"__proto__":{"admin":true}}');
  t.same([proto.status, proto.body.error?.code, proto.body.error?.details], [400, 'SV_ERR_VALIDATION', [PROTO]]);
  const ctor = await post('/echo', '{"a":{"constructor":{"prototype":{"admin":true}}}}');
  t.same(ctor.body.error?.details, [PROTO]);
});

t.test('a body of another type is a 415 naming the header', async (t) => {
  const res = await http.inject({ method: 'POST', url: '/echo', payload: 'targetC=60', headers: { 'content-type': 'text/plain' } });
  t.equal(res.statusCode, 415);
  t.same(res.json().error.details, ['content-type: must be application/json']);
});

t.test('a key twice in one object is refused, named by its path', async (t) => {
  const twice = await post('/echo', '{"targetC":60,"durationMin":5,"targetC":95}');
  t.same(
    [twice.status, twice.body.error?.code, twice.body.error?.details],
    [400, 'SV_ERR_PAYLOAD_DUPLICATE_KEY', ['body.targetC: appears more than once in one object']],
  );
  const nested = await post('/echo', '{"spec":{"food":"egg","food":"beef"}}');
  t.same(nested.body.error?.details, ['body.spec.food: appears more than once in one object']);
  t.equal((await post('/echo', '{"a":{"x":1},"b":{"x":2}}')).status, 200, 'the same key in two objects is fine');
  t.same(await post('/bulk', '{"x":1,"x":2}'), { status: 200, body: { got: { x: 2 } } }, 'a route that skips the scan');
  t.equal((await post('/bulk', '{"__proto__":{}}')).status, 400, 'but never the prototype check');
});
