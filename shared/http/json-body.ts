import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { SvError } from '../errors.js';
import { findDuplicateKey } from '../protocol/duplicate-keys.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * `skip`: the body is not scanned for a key repeated in one object. For a route whose bodies
     * are large and machine-made (the cloud's ingest: the gateway's JSON.stringify cannot repeat a
     * key), where the scan would cost as much as the parse itself.
     */
    jsonDuplicateKeys?: 'skip';
  }
}

/**
 * The one JSON body parser of the cloud API and the gateway's local API, in place of Fastify's,
 * whose errors all read "not valid JSON"; a body of another type is a 415 (FASTIFY_CODES). Each
 * refusal names the reason:
 * - an empty body is no body (`undefined`): the route's own check says whether it needs one;
 * - `body: not valid JSON (<the parser's reason>)`;
 * - a `__proto__` key, or a `constructor` key holding `prototype`: keys that would set an object's
 *   prototype, refused as Fastify refuses them;
 * - `body.<path>: appears more than once in one object`: `JSON.parse` would keep only the last
 *   value (`{"targetC":60,"targetC":95}` reads 95), so the request is refused, as a kit's payload
 *   is (docs/protocol.md).
 */
const PROTO_KEY = `body: a key that would set an object's prototype ("__proto__", or "constructor" holding "prototype") is not allowed`;

export function installJsonBody(http: FastifyInstance): void {
  // Bodies are JSON: without Fastify's text/plain parser another type is the 415 of FASTIFY_CODES
  // (`content-type: must be application/json`), not a string that fails the body's schema.
  http.removeContentTypeParser('text/plain');
  http.removeContentTypeParser('application/json');
  http.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    // No body at all, as some clients send with a JSON content type: the route decides whether it needs one.
    if (text.trim() === '') return done(null, undefined);
    let json: unknown;
    try {
      json = sjson.parse(text, null, { protoAction: 'error', constructorAction: 'error' });
    } catch (err) {
      const reason = (err as Error).message;
      if (/forbidden prototype/i.test(reason)) return done(new SvError('SV_ERR_VALIDATION', 'invalid body', [PROTO_KEY]), undefined);
      return done(new SvError('SV_ERR_PAYLOAD_NOT_JSON', undefined, [`body: not valid JSON (${reason})`]), undefined);
    }
    if (req.routeOptions.config?.jsonDuplicateKeys !== 'skip') {
      const repeated = findDuplicateKey(text);
      if (repeated !== null)
        return done(
          new SvError('SV_ERR_PAYLOAD_DUPLICATE_KEY', undefined, [`body.${repeated}: appears more than once in one object`]),
          undefined,
        );
    }
    done(null, json);
  });
}
