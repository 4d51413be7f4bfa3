import { EventEmitter } from 'node:events';
import type { Ack, Status, Telemetry } from '../../shared/protocol/messages.js';
import { parseDeviceMessage } from '../../shared/protocol/parse.js';
import type { UplinkSuffix } from '../../shared/topics.js';
import { firstField } from '../../shared/zod-issues.js';
import type { IngestPort, Release } from '../broker/ports.js';
import type { RefusalLog } from '../refusal-log.js';
import type { Stats } from '../stats.js';
import { DUPLICATE } from '../store/items.js';
import type { StoreWriter } from '../store/writer.js';
import { statusOutboxRecord, telemetryOutboxRecord } from './relay-records.js';

/** What the rest of the gateway (control, watchdog, local API) hears from the ingestion path. */
export interface IngestEvents {
  /** A valid reading right after parsing, before its commit (control never waits on disk). */
  live: [deviceId: string, msg: Telemetry, rxTs: number];
  /** A reading after its commit (not a duplicate). */
  telemetry: [deviceId: string, msg: Telemetry, rxTs: number];
  status: [deviceId: string, msg: Status, rxTs: number];
  ack: [deviceId: string, msg: Ack, rxTs: number];
}

/** A device payload after strict parsing: the message, or why it was refused (its dead-letter label). */
export type ParsedUplink = ReturnType<typeof parseUplink>;

/** Strict parse (PROTOCOL: unknown fields rejected); a refusal carries the field it names, for the parse_fail label. */
export function parseUplink(suffix: UplinkSuffix, payload: Buffer) {
  const parsed = parseDeviceMessage(suffix, payload);
  if (parsed.ok) return parsed;
  return { ok: false as const, code: parsed.code, reason: parsed.reason, label: firstField(parsed.issues) ?? parsed.code };
}

/**
 * The ingestion hot path, called from the broker's authorizePublish hook with Aedes' callback:
 * strict parse → (invalid: dead-letter) → dedupe + durable commit (group commit on the writer
 * thread) → release the callback, which lets Aedes send the PUBACK (PROTOCOL: PUBACK after
 * commit). Control hears each valid reading at once ('live', before its commit: it never waits on
 * disk, and drops a replay itself); the other events follow the commit, and 'telemetry' skips
 * duplicates.
 */
export class IngestPipeline extends EventEmitter<IngestEvents> implements IngestPort {
  constructor(
    private readonly store: StoreWriter,
    private readonly stats: Stats,
    private readonly relayOn: () => boolean,
    private readonly onPubackLatency: (ms: number) => void = () => {},
    /** One info line per refused payload, rate-limited per device (refusal-log.ts). */
    private readonly refusals?: RefusalLog,
  ) {
    super();
  }

  handle(deviceId: string, suffix: UplinkSuffix, topic: string, payload: Buffer, qos: number, release: Release): void {
    const started = performance.now();
    this.handleParsed(deviceId, suffix, topic, payload, qos, parseUplink(suffix, payload), release, started);
  }

  /**
   * The pipeline after parsing: a broker node (gateway/cluster/) parses on its own core and
   * hands over the result; it times the PUBACK itself, so `started` is then undefined.
   */
  handleParsed(
    deviceId: string,
    suffix: UplinkSuffix,
    topic: string,
    payload: Buffer,
    qos: number,
    parsed: ParsedUplink,
    release: Release,
    started?: number,
  ): void {
    const stats = this.stats;
    const rxTs = Date.now();
    stats.inc('mqtt_recv');
    if (qos === 0) {
      stats.inc('qos0_recv');
      release(null); // QoS 0 is best effort: nothing is acknowledged, so nothing waits
      release = noop;
    }
    if (!parsed.ok) {
      stats.incLabel('parse_fail', parsed.label);
      this.refusals?.note(
        `${deviceId} dead_letter`,
        { deviceId, topic, code: parsed.code, reason: parsed.reason },
        'payload refused (dead-lettered)',
      );
      // PROTOCOL: invalid input is acknowledged (so the device does not resend it forever),
      // not used for control, and kept in the dead-letter store with the reason.
      this.store.write({ t: 'dlq', deviceId, topic, code: parsed.code, reason: parsed.reason, payload, rxTs }, (err) =>
        this.done(release, err, started),
      );
      return;
    }
    stats.inc('parse_ok');
    switch (suffix) {
      case 'telemetry': {
        const m = parsed.value as Telemetry;
        this.emit('live', deviceId, m, rxTs);
        const outbox = this.relayOn() ? telemetryOutboxRecord(deviceId, m, rxTs) : null;
        this.store.write(
          {
            t: 'tel',
            deviceId,
            boot: m.boot,
            seq: m.seq,
            ts: m.ts,
            rxTs,
            tempC: m.tempC,
            sensor: m.sensor,
            heater: m.heater,
            rssi: m.rssi,
            outbox,
          },
          (err, outcome) => {
            if (!err && outcome === DUPLICATE) stats.inc('duplicate');
            this.done(release, err, started);
            if (!err && outcome !== DUPLICATE) this.emit('telemetry', deviceId, m, rxTs);
          },
        );
        return;
      }
      case 'status': {
        const m = parsed.value as Status;
        const outbox = this.relayOn() ? statusOutboxRecord(deviceId, m, rxTs) : null;
        this.store.write({ t: 'status', deviceId, state: m.state, boot: m.boot, fw: m.fw, profile: m.profile, rxTs, outbox }, (err) => {
          this.done(release, err, started);
          if (!err) this.emit('status', deviceId, m, rxTs);
        });
        return;
      }
      case 'ack': {
        // The command tracker records the result durably in its own outbox record.
        this.done(release, null, started);
        this.emit('ack', deviceId, parsed.value as Ack, rxTs);
        return;
      }
    }
  }

  private done(release: Release, err: Error | null, started: number | undefined): void {
    if (err) {
      this.stats.inc('store_fail');
      release(err); // not acknowledged: the device keeps the message and resends it
      return;
    }
    this.stats.inc('store_ok');
    if (release !== noop) {
      this.stats.inc('puback_sent');
      if (started !== undefined) this.onPubackLatency(performance.now() - started);
    }
    release(null);
  }
}

function noop(): void {}
