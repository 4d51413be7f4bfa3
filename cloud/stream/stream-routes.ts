import type { FastifyInstance } from 'fastify';
import type { Alarm } from '../../shared/alarms/lifecycle.js';
import { streamRoute } from '../../shared/http/stream-route.js';
import type { RelayBatch } from '../../shared/relay/batch.js';
import { StreamHub } from '../../shared/stream/hub.js';
import { alarmStateOf } from '../../shared/stream/message.js';
import { scopeOf } from '../http/auth.js';
import type { Sender } from '../ingest/pipeline.js';
import type { RouteDeps } from '../routes/deps.js';
import { SECURITY } from '../routes/deps.js';
import type { AlarmRow } from '../stores/types.js';
import { streamOfBatch } from './from-batch.js';
import { RedisFanout } from './redis-fanout.js';

/**
 * The cloud's live stream (ADR 034): one hub per instance with a ring per org; committed batches
 * are published to their org, across instances through Redis when the cloud runs on it.
 */
export class CloudStream {
  readonly hub: StreamHub;
  readonly fanout: RedisFanout | undefined;

  constructor(private readonly deps: Pick<RouteDeps, 'config' | 'log' | 'now'>) {
    const { config } = deps;
    this.hub = new StreamHub(config.stream, deps.now);
    this.fanout = config.redis.url
      ? new RedisFanout(
          this.hub,
          { url: config.redis.url, keyPrefix: config.redis.keyPrefix, commandTimeoutMs: config.redis.commandTimeoutMs },
          deps.log.child({ part: 'stream' }),
        )
      : undefined;
  }

  /** After a batch committed (IngestPipeline.committed): a synchronous hand-off that never throws into ingest. */
  readonly committed = (sender: Sender, batch: RelayBatch, alarms: readonly Alarm[]): void => {
    try {
      for (const [event, data] of streamOfBatch(sender.id, batch, alarms)) this.hub.publish(sender.orgId, event, data);
    } catch (err) {
      this.deps.log.error({ err }, 'stream: could not publish a batch');
    }
  };

  /** An alarm acknowledged through this instance's API (RouteDeps.alarmChanged). */
  readonly alarmChanged = (orgId: string, a: AlarmRow): void => {
    try {
      this.hub.publish(orgId, 'alarmState', alarmStateOf(a, a.gatewayId));
    } catch (err) {
      this.deps.log.error({ err }, 'stream: could not publish an alarm');
    }
  };

  /** GET /v1/stream: the caller's org (a gateway-limited key: its gateway's kits). */
  routes(http: FastifyInstance, deps: RouteDeps): void {
    streamRoute(http, {
      hub: this.hub,
      heartbeatMs: deps.config.stream.heartbeatMs,
      onRequest: deps.auth.role('viewer'),
      scope: (req) => {
        const s = scopeOf(req.principal);
        return { scope: s.orgId, gatewayId: s.gatewayId ?? null };
      },
      schema: { security: [...SECURITY, { session: [] }] },
      // A key revoked or a user removed (on any instance, or by the CLI) loses its open streams too.
      recheckMs: deps.config.stream.recheckMs,
      stillAllowed: async (req) => {
        const p = req.principal;
        if (p?.kind === 'key') return deps.stores.meta.apiKeyLive(p.orgId, p.id);
        if (p?.kind === 'user') return (await deps.auth.sessionUser(req)) !== null;
        return false;
      },
    });
  }

  async start(): Promise<void> {
    await this.fanout?.start();
  }

  stop(): void {
    this.fanout?.stop();
    this.hub.close();
  }
}
