import { createRequire } from 'node:module';
import { Redis } from 'ioredis';

const require = createRequire(import.meta.url);

/** What the gateway needs of the emitter: Aedes takes it whole as its `mq`; the owner closes it. */
export interface SharedEmitter {
  close(cb: () => void): void;
}

interface MqEmitterRedis extends SharedEmitter {
  closing: boolean;
  _close(cb: () => void): void;
  state: { on(event: 'error', fn: (err: Error) => void): void };
}

type Factory = (opts: { subConn: Redis; pubConn: Redis }) => MqEmitterRedis;

/** How long closing waits for Redis to acknowledge QUIT before it drops the connections. */
const QUIT_TIMEOUT_MS = 2000;

export interface RedisEmitterEvents {
  /** The first error of an outage (not one per retry). */
  down(err: Error): void;
  /** Redis answers again after an outage. */
  up(): void;
}

/**
 * The broker nodes' shared emitter (docs/design.md, scale): mqemitter-redis, the engine Aedes itself
 * documents for clustering. Commands published by the gateway process reach the node that holds
 * the kit's subscription, and a kit connecting on one node closes its older connection on
 * another (Aedes' `$SYS/+/new/clients`). Kits' uplinks never go through it (uplink-routing.ts),
 * so a Redis outage stops commands and cross-node takeovers, never ingestion.
 *
 * The connections are ours, not mqemitter-redis' defaults: a command to Redis waits for the
 * reconnection instead of failing after 20 retries (a SUBSCRIBE that failed that way was
 * acknowledged to the kit and never redone, so its commands were lost for good), and closing
 * does not leave a QUIT promise to reject later (an unhandled rejection ends the process).
 */
export function openRedisEmitter(url: string, on: RedisEmitterEvents): SharedEmitter {
  let down = false;
  const connect = () => {
    const conn = new Redis(url, {
      maxRetriesPerRequest: null,
      enableAutoPipelining: true,
      retryStrategy: (attempt) => Math.min(200 * attempt, 2000),
    });
    conn.on('error', (err: Error) => {
      if (down || mq.closing) return;
      down = true;
      on.down(err);
    });
    conn.on('ready', () => {
      if (!down) return;
      down = false;
      on.up();
    });
    return conn;
  };
  const subConn = connect();
  const pubConn = connect();
  const mq = (require('mqemitter-redis') as Factory)({ subConn, pubConn });
  mq.state.on('error', () => {}); // reported once per outage by the connections above
  mq.close = (cb) => {
    if (mq.closing) return cb();
    mq.closing = true;
    const quit = (c: Redis) =>
      new Promise<void>((resolve) => {
        if (c.status !== 'ready') {
          c.disconnect();
          return resolve();
        }
        const timer = setTimeout(() => {
          c.disconnect();
          resolve();
        }, QUIT_TIMEOUT_MS);
        const done = () => {
          clearTimeout(timer);
          if (c.status !== 'end') c.disconnect();
          resolve();
        };
        c.quit().then(done, done);
      });
    void Promise.all([quit(subConn), quit(pubConn)]).then(() => mq._close(cb));
  };
  return mq;
}
