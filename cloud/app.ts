import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../shared/log.js';
import type { CloudConfig } from './config.js';

/** Builds the cloud service; nothing listens until `start()` (DESIGN.md: app.ts has no side effects). */
export interface Cloud {
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
  readonly http: FastifyInstance;
}

export function buildCloud(config: CloudConfig, log: Logger): Cloud {
  const http = Fastify({ loggerInstance: log.child({ part: 'http' }) as FastifyBaseLogger, disableRequestLogging: true });
  http.get('/healthz', async () => ({ status: 'ok' }));

  return {
    http,
    async start() {
      await http.listen({ port: config.port, host: config.host });
      const address = http.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      log.info({ port }, 'cloud started');
      return { port };
    },
    async stop() {
      await http.close();
      log.info('cloud stopped');
    },
  };
}
