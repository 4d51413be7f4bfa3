import type { UplinkSuffix } from '../../shared/topics.js';

/** Lets Aedes send the PUBACK (null) or close the connection without one (an error). */
export type Release = (err?: Error | null) => void;

/**
 * Where the broker hands a kit's uplink: the ingestion pipeline in the gateway process, or, in a
 * broker node (gateway/cluster/), the link that carries it to the gateway process. `release` is
 * called once the message is committed (or refused): PUBACK after commit (docs/protocol.md).
 */
export interface IngestPort {
  handle(deviceId: string, suffix: UplinkSuffix, topic: string, payload: Buffer, qos: number, release: Release): void;
}

/** Where refusals are recorded (rate-limited on disk; every one is counted). */
export interface SecurityRecorder {
  record(kind: string, deviceId: string | null, remote: string | null, detail: string): void;
}

/** The gateway's MQTT side as the rest of the app sees it: one broker in-process, or several broker nodes (gateway/cluster/). */
export interface BrokerFront {
  /** Sends a command to a kit (QoS 1 on `sv/<id>/cmd`), whichever node holds it. */
  sendCommand(deviceId: string, payload: string): void;
  readonly connections: number;
  readonly connectedClients: number;
  readonly mqttPort: number;
  readonly plainPort: number | undefined;
  readonly proxyPort: number | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Ends a device's connection at once (revoked or rotated credentials); true when it was connected here. */
  disconnect(id: string): boolean;
}
