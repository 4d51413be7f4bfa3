import type { FastifyRequest } from 'fastify';
import { SvError } from '../../shared/errors.js';
import { bearer } from '../../shared/http/bearer.js';
import { checkOperatorToken } from './operator-token.js';

/** The `onRequest` hook of every /v1 route of the gateway: the operator token, or 401 (deny by default). */
export function operatorAuth(tokenFile: string) {
  return async (req: FastifyRequest): Promise<void> => {
    if (!checkOperatorToken(tokenFile, bearer(req.headers.authorization))) {
      throw new SvError('SV_ERR_UNAUTHORIZED', 'operator token required (Authorization: Bearer …)');
    }
  };
}
