import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../shared/log.js';
import type { GatewayConfig } from './config.js';

/**
 * Builds the whole gateway with no side effects on import or construction: nothing listens
 * until `start()`. Start order: store → broker → HTTP; stop in reverse (DESIGN.md).
 */
export interface Gateway {
  start(): Promise<{ httpPort: number }>;
  stop(): Promise<void>;
  readonly http: FastifyInstance;
}

export function buildGateway(config: GatewayConfig, log: Logger): Gateway {
  const http = Fastify({ loggerInstance: log.child({ part: 'http' }) as FastifyBaseLogger, disableRequestLogging: true });
  http.get('/healthz', async () => ({ status: 'ok', name: config.name }));

  return {
    http,
    async start() {
      await http.listen({ port: config.http.port, host: config.http.host });
      const address = http.server.address();
      const httpPort = typeof address === 'object' && address ? address.port : config.http.port;
      log.info({ httpPort }, 'gateway started');
      return { httpPort };
    },
    async stop() {
      await http.close();
      log.info('gateway stopped');
    },
  };
}
