import { Redis } from 'ioredis';
import type { CloudConfig } from '../config.js';

/**
 * The rate limiter's Redis connection: with Redis configured, limits are counted in Redis and
 * shared by every cloud instance (otherwise each instance counts alone, so N instances allow N×).
 * Fails open (`skipOnError`): a Redis outage must not turn into refused ingest on top of the 503s
 * the state sink already answers. No offline queue, short timeouts: a dead Redis costs no latency.
 */
export function rateLimitRedis(config: CloudConfig): { client: Redis; close(): void } | null {
  if (!config.redis.url) return null;
  const client = new Redis(config.redis.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: Math.min(config.redis.commandTimeoutMs, 500),
    connectTimeout: config.redis.commandTimeoutMs,
    retryStrategy: (times) => Math.min(100 * times, 1_000),
  });
  client.on('error', () => {}); // counted as skipped limits, visible in /readyz through the state store
  return { client, close: () => client.disconnect() };
}
