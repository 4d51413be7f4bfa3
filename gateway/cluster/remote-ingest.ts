import type { UplinkSuffix } from '../../shared/topics.js';
import type { IngestPort, Release } from '../broker/ports.js';
import { parseUplink } from '../ingest/pipeline.js';
import type { NodeMessage, UplinkItem } from './messages.js';
import { packUplinks } from './uplink-columns.js';

/**
 * A broker node's ingestion port: strict parse here (on the node's core), then the uplink goes
 * to the gateway process, which dedupes, commits and runs control. Aedes' callback waits in
 * `waiting` until the commit comes back, so the PUBACK still follows the durable commit.
 * Uplinks queued in one event-loop turn leave as one IPC message.
 */
export class RemoteIngest implements IngestPort {
  private nextRef = 1;
  private readonly waiting = new Map<number, { release: Release; started: number }>();
  private batch: UplinkItem[] = [];
  private scheduled = false;
  /** PUBACK latencies (ms) since the last report. */
  pubackMs: number[] = [];

  constructor(private readonly send: (m: NodeMessage) => void) {}

  handle(deviceId: string, suffix: UplinkSuffix, topic: string, payload: Buffer, qos: number, release: Release): void {
    const started = performance.now();
    const parsed = parseUplink(suffix, payload);
    let ref = 0;
    if (qos === 0) release(null);
    else {
      ref = this.nextRef++;
      this.waiting.set(ref, { release, started });
    }
    this.batch.push([ref, deviceId, suffix, topic, qos, parsed.ok ? null : payload, parsed]);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** The gateway process's commit results. */
  settle(ok: number[], fail: [number, string][]): void {
    const now = performance.now();
    for (const ref of ok) {
      const w = this.waiting.get(ref);
      if (!w) continue;
      this.waiting.delete(ref);
      this.pubackMs.push(now - w.started);
      w.release(null);
    }
    for (const [ref, error] of fail) {
      const w = this.waiting.get(ref);
      if (!w) continue;
      this.waiting.delete(ref);
      w.release(new Error(error)); // not acknowledged: the kit keeps the message and resends it
    }
  }

  get pending(): number {
    return this.waiting.size;
  }

  private readonly flush = () => {
    this.scheduled = false;
    const items = this.batch;
    this.batch = [];
    if (items.length > 0) this.send({ t: 'up', batch: packUplinks(items) });
  };
}
