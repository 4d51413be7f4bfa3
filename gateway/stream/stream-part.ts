import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Alarm } from '../../shared/alarms/lifecycle.js';
import { streamRoute } from '../../shared/http/stream-route.js';
import type { Status, Telemetry } from '../../shared/protocol/messages.js';
import type { StreamOptions } from '../../shared/stream/config.js';
import { StreamHub } from '../../shared/stream/hub.js';
import {
  alarmStateOf,
  cookState,
  eventNameOf,
  type StreamEventItem,
  type StreamReading,
  type StreamState,
} from '../../shared/stream/message.js';
import type { RecordListener } from '../control-driver/record-sink.js';
import type { IngestPipeline } from '../ingest/pipeline.js';
import type { Part } from '../parts/part.js';

/** The gateway has one audience (whoever holds the operator token): one scope. */
const SCOPE = 'gateway';

/**
 * GET /v1/stream on the gateway (ADR 034): readings and link changes from the ingest pipeline
 * after their commit, events and cook changes from control's record sink after theirs. Each hand-off
 * is a synchronous call into the hub, which frames the message and returns; writing happens on
 * the hub's flush, off the ingest path.
 */
export class GatewayStream implements Part {
  readonly name = 'stream';
  readonly hub: StreamHub;

  constructor(
    private readonly d: {
      options: StreamOptions;
      ingest: IngestPipeline;
      gatewayName: string;
      now?: () => number;
    },
  ) {
    this.hub = new StreamHub(d.options, d.now);
  }

  /** For control's record sink (ControlDeps.recorded). */
  readonly recorded: RecordListener = {
    event: (e) => {
      const item: StreamEventItem = { ...e, gatewayId: this.d.gatewayName };
      this.hub.publish(SCOPE, eventNameOf(e.severity), item);
    },
    cook: (deviceId, c) => this.hub.publish(SCOPE, 'state', cookState(deviceId, this.d.gatewayName, c)),
  };

  /** For the alarms' `change` (GatewayAlarms): a step of an alarm's lifecycle, committed here. */
  readonly alarmChanged = (a: Alarm): void => this.hub.publish(SCOPE, 'alarmState', alarmStateOf(a, this.d.gatewayName));

  private readonly onTelemetry = (deviceId: string, m: Telemetry, rxTs: number) => {
    const r: StreamReading = {
      deviceId,
      gatewayId: this.d.gatewayName,
      boot: m.boot,
      seq: m.seq,
      ts: m.ts ?? null,
      rxTs,
      tempC: m.tempC,
      sensor: m.sensor,
      heater: m.heater,
    };
    this.hub.publish(SCOPE, 'reading', r);
  };

  private readonly onStatus = (deviceId: string, m: Status, rxTs: number) => {
    const s: StreamState = { deviceId, gatewayId: this.d.gatewayName, ts: rxTs, online: m.state === 'online' };
    this.hub.publish(SCOPE, 'state', s);
  };

  /** Registers GET /v1/stream (operator token). */
  route(http: FastifyInstance, auth: (req: FastifyRequest, reply: FastifyReply) => Promise<void>): void {
    streamRoute(http, { hub: this.hub, heartbeatMs: this.d.options.heartbeatMs, onRequest: auth, scope: () => ({ scope: SCOPE }) });
  }

  start(): void {
    this.d.ingest.on('telemetry', this.onTelemetry);
    this.d.ingest.on('status', this.onStatus);
  }

  stop(): void {
    this.d.ingest.off('telemetry', this.onTelemetry);
    this.d.ingest.off('status', this.onStatus);
    this.hub.close();
  }
}
