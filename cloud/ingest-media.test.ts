import { gzipSync } from 'node:zlib';
import t from 'tap';
import { batch, registry, telemetry, uid } from './testing/fixtures.js';
import { api, credentials, startCloud, testConfig } from './testing/servers.js';

/**
 * `POST /v1/ingest` takes JSON, plain or gzip: another content type or encoding is a 415 naming the
 * header (the API's answer to a wrong content type, shared/http/errors.ts), never a schema error
 * or a body read as if the header were not there. Embedded store, through HTTP.
 */
const c = await startCloud(t, testConfig(t, undefined, 'media'));
const creds = await credentials(c);
const kit = uid('kit').toLowerCase();
const body = JSON.stringify(batch([registry([kit]), telemetry(kit, 1, 1)]));
const ingest = (payload: string | Uint8Array, headers: Record<string, string>) =>
  api(c.base, 'POST', '/v1/ingest', creds.gateway.token, payload, headers);

t.test('a body that is not application/json: 415 content-type', async (t) => {
  const plain = await ingest(body, { 'content-type': 'text/plain' });
  t.equal(plain.status, 415);
  t.same(plain.body.error, {
    code: 'SV_ERR_VALIDATION',
    message: 'request is invalid',
    details: ['content-type: must be application/json'],
  });
  const xml = await ingest(body, { 'content-type': 'application/xml' });
  t.equal(xml.status, 415, 'as for any other type');
  t.same(xml.body.error.details, ['content-type: must be application/json']);
  t.equal((await c.cloud.stores.meta.listDevices({ orgId: creds.orgId }, { limit: 10 })).items.length, 0, 'nothing stored');
});

t.test('an encoding other than gzip or identity: 415 content-encoding', async (t) => {
  const br = await ingest(body, { 'content-type': 'application/json', 'content-encoding': 'br' });
  t.equal(br.status, 415);
  t.same(br.body.error.details, ['content-encoding: br is not supported (gzip or identity)']);
  const gz = await ingest(gzipSync(body), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
  t.equal(gz.status, 200, 'gzip is taken');
  t.equal(gz.body.accepted, 2);
  const identity = await ingest(body, { 'content-type': 'application/json', 'content-encoding': 'identity' });
  t.equal(identity.status, 200, 'identity is taken');
  t.match(identity.body, { ok: true });
});
