import type { FastifyReply, FastifyRequest } from 'fastify';
import { SvError } from '../../shared/errors.js';
import { bearer, bearerProblem } from '../../shared/http/bearer.js';
import type { FailedAuthLimiter } from '../../shared/http/failed-auth-limit.js';
import { checkOperatorToken } from './operator-token.js';

/** The OpenAPI security of every /v1 route of the local API (docs/api.md). */
export const OPERATOR = [{ operatorToken: [] }];

/**
 * The local API's one authentication hook (every /v1 route): the operator token as
 * `Authorization: Bearer …`. A correct token always passes; wrong ones count against the client
 * address, and past the limit they get 429 with Retry-After instead of 401.
 */
export function operatorAuth(tokenFile: string, limiter: FailedAuthLimiter) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (checkOperatorToken(tokenFile, bearer(req.headers.authorization))) return;
    const waitS = limiter.fail(req.ip);
    if (waitS > 0) {
      reply.header('retry-after', String(waitS));
      throw new SvError('SV_ERR_AUTH_BANNED', `too many failed authentications from this address; retry in ${waitS} s`);
    }
    const problem = bearerProblem(req.headers.authorization);
    const message = problem.endsWith('required') ? 'operator token required (Authorization: Bearer …)' : 'wrong operator token';
    throw new SvError('SV_ERR_UNAUTHORIZED', message, [problem]);
  };
}
