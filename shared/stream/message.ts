import { type Alarm, type AlarmState, stateOf } from '../alarms/lifecycle.js';

/**
 * What GET /v1/stream carries (server-sent events, ADR 034), the same shapes on the gateway and the
 * cloud. Every message has an id (for Last-Event-ID) and one of these event names:
 * - `reading`: a kit's reading, at most one per kit per `stream.readingIntervalMs`;
 * - `state`: a kit's link (online/offline) or cook changed;
 * - `event` / `alarm`: an event (alarm: severity alarm or critical);
 * - `alarmState`: an alarm after a step of its lifecycle (raised, acknowledged, cleared: ADR 035),
 *   on the side where the step was committed, so a page of alarms follows acks made elsewhere;
 * - `ready`: sent once on connect, after any replay; its id is the newest message this server holds,
 *   its data `{ts, heartbeatMs}` (a client that hears nothing, not even a heartbeat comment, for a few
 *   `heartbeatMs` treats the stream as broken);
 * - `reset`: the client's Last-Event-ID is too old (or from before a restart): refetch, then follow.
 */
export const STREAM_EVENT_NAMES = ['reading', 'state', 'event', 'alarm', 'alarmState'] as const;
export type StreamEventName = (typeof STREAM_EVENT_NAMES)[number];

export interface StreamReading {
  deviceId: string;
  gatewayId: string | null;
  boot: number;
  seq: number;
  /** The kit's own time (epoch ms) when it has one. */
  ts: number | null;
  /** When the gateway received it (epoch ms). */
  rxTs: number;
  tempC: number | null;
  sensor: string;
  heater: boolean;
}

export interface StreamState {
  deviceId: string;
  gatewayId: string | null;
  ts: number;
  /** Present when the link changed. */
  online?: boolean;
  /** Present when the cook changed. */
  cook?: {
    state: 'heating' | 'holding' | 'done' | 'stopped';
    targetC: number;
    durationMin: number | null;
    food: string | null;
    startedTs: number;
  };
}

export interface StreamEventItem {
  id: string;
  deviceId: string | null;
  gatewayId: string | null;
  ts: number;
  type: string;
  severity: 'info' | 'warning' | 'alarm' | 'critical';
  data: Record<string, unknown>;
}

/** An `alarmState` message: the alarm as GET /v1/alarms lists it on the side that sends it. */
export interface StreamAlarmState extends Alarm {
  gatewayId: string | null;
  state: AlarmState;
}

export const alarmStateOf = (a: Alarm, gatewayId: string | null): StreamAlarmState => ({ ...a, gatewayId, state: stateOf(a) });

/** A cook as the stream reports it (the gateway's cook change and the cloud's relayed cook record have this shape). */
export interface CookForStream {
  state: NonNullable<StreamState['cook']>['state'];
  spec: { targetC: number; durationMin?: number | null; food?: string | null };
  startedTs: number;
  updatedTs: number;
}

/** The `state` message of a cook change, the same on the gateway and the cloud. */
export function cookState(deviceId: string, gatewayId: string | null, c: CookForStream): StreamState {
  return {
    deviceId,
    gatewayId,
    ts: c.updatedTs,
    cook: {
      state: c.state,
      targetC: c.spec.targetC,
      durationMin: c.spec.durationMin ?? null,
      food: c.spec.food ?? null,
      startedTs: c.startedTs,
    },
  };
}

export const eventNameOf = (severity: StreamEventItem['severity']): StreamEventName =>
  severity === 'alarm' || severity === 'critical' ? 'alarm' : 'event';

/**
 * One message ready to write: its id, its event, the kit and gateway it is about (for `?devices=`
 * and gateway-limited keys; null: about no kit / no gateway), and its SSE text.
 */
export interface Framed {
  id: string;
  event: StreamEventName;
  deviceId: string | null;
  gatewayId: string | null;
  frame: string;
}

/** The SSE text of one message (JSON has no raw newlines, so one data line). */
export function frame(id: string | null, event: string, data: unknown): string {
  return `${id === null ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * A message that is serialised on first use, then kept: on a gateway with no stream open, the
 * ring holds its readings for a resume without a JSON.stringify per reading. The data must not
 * change after publish (every publisher passes a fresh object).
 */
export class LazyFramed implements Framed {
  private text: string | undefined;
  constructor(
    readonly id: string,
    readonly event: StreamEventName,
    readonly deviceId: string | null,
    readonly gatewayId: string | null,
    private readonly data: unknown,
  ) {}
  get frame(): string {
    if (this.text === undefined) this.text = frame(this.id, this.event, this.data);
    return this.text;
  }
}
