import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { StreamHub, StreamTransport } from '../../shared/stream/hub.js';
import { type Framed, STREAM_EVENT_NAMES, type StreamEventName } from '../../shared/stream/message.js';

const isEventName = (x: unknown): x is StreamEventName => typeof x === 'string' && (STREAM_EVENT_NAMES as readonly string[]).includes(x);

/**
 * Stream messages across cloud instances (ADR 034): each instance publishes what it ingested on one
 * Redis channel and delivers only what comes back on it, so every instance's rings hold the same
 * messages in the same order and a client resumes on any instance. Publishing is batched per turn
 * of the event loop and never waits: with Redis unreachable a message goes to this instance's
 * streams only (its other-instance clients see a reset when they resume elsewhere).
 */
export class RedisFanout implements StreamTransport {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly channel: string;
  /** [scope, id, gatewayId, frame, event, deviceId] per message. */
  private queue: [string, string, string | null, string, StreamEventName, string | null][] = [];
  private scheduled = false;
  failed = 0;

  constructor(
    private readonly hub: StreamHub,
    o: { url: string; keyPrefix: string; commandTimeoutMs: number },
    private readonly log: Logger,
  ) {
    this.channel = `${o.keyPrefix}stream`;
    const opts = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: o.commandTimeoutMs,
      retryStrategy: (times: number) => Math.min(100 * times, 1_000),
    };
    this.pub = new Redis(o.url, { ...opts, commandTimeout: o.commandTimeoutMs });
    // The subscriber waits for messages: no command timeout; it resubscribes after a reconnect.
    this.sub = new Redis(o.url, { ...opts, enableOfflineQueue: true });
    this.pub.on('error', () => {});
    this.sub.on('error', () => {});
    this.sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.receive(message));
  }

  async start(): Promise<void> {
    this.hub.transport = this;
    try {
      await Promise.all([this.pub.connect(), this.sub.connect()]);
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message },
        'stream fan-out: Redis unreachable; streams serve this instance only until it is back',
      );
      void this.sub.subscribe(this.channel).catch(() => {}); // sent once the subscriber connects
      return;
    }
    await this.sub.subscribe(this.channel);
  }

  stop(): void {
    this.hub.transport = undefined;
    this.pub.disconnect();
    this.sub.disconnect();
  }

  send(scope: string, f: Framed): void {
    this.queue.push([scope, f.id, f.gatewayId, f.frame, f.event, f.deviceId]);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.publish);
  }

  private readonly publish = (): void => {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.pub.publish(this.channel, JSON.stringify(batch)).catch(() => {
      this.failed += batch.length;
      for (const [scope, id, gatewayId, frame, event, deviceId] of batch)
        this.hub.deliver(scope, { id, event, deviceId, gatewayId, frame });
    });
  };

  private receive(message: Buffer): void {
    let batch: unknown;
    try {
      batch = JSON.parse(message.toString('utf8'));
    } catch {
      return;
    }
    if (!Array.isArray(batch)) return;
    for (const m of batch) {
      if (!Array.isArray(m) || m.length !== 6) continue;
      const [scope, id, gatewayId, frame, event, deviceId] = m as unknown[];
      if (typeof scope !== 'string' || typeof id !== 'string' || typeof frame !== 'string' || !isEventName(event)) continue;
      this.hub.deliver(scope, {
        id,
        event,
        deviceId: typeof deviceId === 'string' ? deviceId : null,
        gatewayId: typeof gatewayId === 'string' ? gatewayId : null,
        frame,
      });
    }
  }
}
