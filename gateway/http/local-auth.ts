import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '../../shared/errors.js';
import { checkOperatorToken } from './operator-token.js';

/** The local API's error body ({error: {code, message, details}}), as gateway/http/api.ts sends it. */
export function fail(reply: FastifyReply, code: ErrorCode, message: string, details: string[] = []) {
  return reply.code(ERROR_CODES[code].http).send({ error: { code, message, details } });
}

/** onRequest hook: the operator token as a bearer token, else 401. */
export function operatorAuth(tokenFile: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const h = req.headers.authorization;
    const token = h?.startsWith('Bearer ') ? h.slice(7) : undefined;
    if (!checkOperatorToken(tokenFile, token))
      return fail(reply, 'SV_ERR_UNAUTHORIZED', 'operator token required (Authorization: Bearer …)');
  };
}
