import type { UplinkSuffix } from '../../shared/topics.js';
import type { GatewayConfig } from '../config.js';
import type { ParsedUplink } from '../ingest/pipeline.js';
import type { UplinkBatch } from './uplink-columns.js';

/**
 * The link between the gateway process and its broker nodes (Node's cluster IPC channel, V8
 * serialisation). Uplinks travel in batches, one message per event-loop turn of the node, and
 * their commits come back in batches: per message, the link costs a few array slots, not an
 * IPC round trip.
 */

/** An uplink a node hands over: `ref` names it in the commit reply; 0 = QoS 0 (nothing waits). */
export type UplinkItem = [
  ref: number,
  deviceId: string,
  suffix: UplinkSuffix,
  topic: string,
  qos: number,
  /** The raw payload, kept only for a message that failed parsing (the dead-letter store). */
  payload: Buffer | null,
  parsed: ParsedUplink,
];

/** Counter deltas since the node's last report: [counter, label or '' for the unlabelled part, n]. */
export type CounterDelta = [name: string, label: string, n: number];

export interface NodeReport {
  t: 'report';
  counters: CounterDelta[];
  /** PUBACK latencies (ms) of the messages released since the last report. */
  pubackMs: number[];
  connections: number;
  clients: number;
  loopLagP99: number;
  loopLagMax: number;
  rss: number;
}

export type NodeMessage =
  /** The node process has loaded and listens for its `init` (a message sent earlier would be lost). */
  | { t: 'hello' }
  | { t: 'ready'; mqttPort: number; plainPort: number | undefined; proxyPort: number | undefined }
  /** One event-loop turn's uplinks, valid telemetry as columns (uplink-columns.ts). */
  | { t: 'up'; batch: UplinkBatch }
  | NodeReport
  | { t: 'sec'; kind: string; deviceId: string | null; remote: string | null; detail: string }
  | { t: 'failed'; error: string };

export type PrimaryMessage =
  | { t: 'init'; config: GatewayConfig; index: number; nodes: number }
  /** Commit results: refs released for PUBACK, and refs refused with the reason (no PUBACK). */
  | { t: 'done'; ok: number[]; fail: [ref: number, error: string][] }
  | { t: 'disconnect'; deviceId: string }
  | { t: 'stop' };
