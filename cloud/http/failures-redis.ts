import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { FailureWindow } from './failures.js';

/** Trim the window, add this failure, count, expire: one round trip, atomic. */
const RECORD = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])`;

/**
 * The sliding failure window in Redis (a sorted set of failure times per key), shared by every
 * cloud instance. Redis unreachable: the instance's own window answers (fails open to the
 * per-instance count, never to no count at all).
 */
export class RedisFailureWindow implements FailureWindow {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly windowMs: number,
    private readonly fallback: FailureWindow,
  ) {}

  async record(key: string, nowMs: number): Promise<number> {
    const local = await this.fallback.record(key, nowMs);
    try {
      const n = await this.redis.eval(RECORD, 1, this.key(key), nowMs, this.windowMs, `${nowMs}-${randomBytes(4).toString('hex')}`);
      return Math.max(Number(n), local);
    } catch {
      return local;
    }
  }

  async count(key: string, nowMs: number): Promise<number> {
    const local = await this.fallback.count(key, nowMs);
    try {
      return Math.max(await this.redis.zcount(this.key(key), `(${nowMs - this.windowMs}`, '+inf'), local);
    } catch {
      return local;
    }
  }

  private key(key: string): string {
    return `${this.prefix}authfail:${key}`;
  }
}
