import { Pacer } from '../../shared/time/pacer.js';
import type { UplinkSuffix } from '../../shared/topics.js';
import type { IngestPort, Release } from '../broker/ports.js';
import { parseUplink } from '../ingest/pipeline.js';
import type { NodeMessage, UplinkItem } from './messages.js';
import { packUplinks } from './uplink-columns.js';

/** Uplinks in one IPC message at most: a burst beyond it leaves without waiting for the interval. */
const MAX_BATCH = 2000;

/**
 * A broker node's ingestion port: strict parse here (on the node's core), then the uplink goes
 * to the gateway process, which dedupes, commits and runs control. Aedes' callback waits in
 * `waiting` until the commit comes back, so the PUBACK still follows the durable commit.
 *
 * Uplinks leave as one IPC message per event-loop turn, and under load at most one every
 * `batchMs` (mqtt.nodeBatchMs): what arrives meanwhile joins the next message. Each message costs
 * both processes a serialisation, a pipe write and a wake-up whatever it holds, and at 2,500
 * uplinks a second a node's turns hold about three each (ADR 066). Idle, an uplink leaves at
 * once; under load the wait is at most `batchMs`, and the store's group commit (every 10 ms by
 * default) batches them again anyway.
 */
export class RemoteIngest implements IngestPort {
  private nextRef = 1;
  private readonly waiting = new Map<number, { release: Release; started: number }>();
  private batch: UplinkItem[] = [];
  private scheduled = false;
  private readonly pacer: Pacer;
  /** PUBACK latencies (ms) since the last report. */
  pubackMs: number[] = [];

  constructor(
    private readonly send: (m: NodeMessage) => void,
    batchMs = 0,
  ) {
    this.pacer = new Pacer(batchMs, () => this.flush());
  }

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

  /** Sends what is queued now, whatever the interval (the node is stopping). */
  drain(): void {
    this.flush(true);
  }

  private readonly flush = (now = false) => {
    this.scheduled = false;
    if (this.batch.length === 0) {
      if (now) this.pacer.cancel();
      return;
    }
    // Too soon after the last batch, this turn's uplinks wait for the next turns' (the pacer's
    // timer bounds the wait; a turn that outlasts the interval still sends at its end).
    if (!this.pacer.due(now || this.batch.length >= MAX_BATCH)) return;
    const items = this.batch;
    this.batch = [];
    this.send({ t: 'up', batch: packUplinks(items) });
  };
}
