import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Pacer } from '../../shared/time/pacer.js';
import type { ItemOutcome, StoreItem } from './items.js';
import { openStore, STORE_FILE } from './open.js';
import { packBatch } from './packed-batch.js';
import { type DistributiveOmit, WorkerClient, workerEntry } from './worker-client.js';
import type { NotifyResult, WorkerReply, WorkerRequest } from './writer-worker.js';

export type CommitCallback = (err: Error | null, outcome: ItemOutcome) => void;

interface Pending {
  items: StoreItem[];
  callbacks: CommitCallback[];
}

/**
 * Main-thread side of the store: collects items from the ingestion path and sends them to the
 * writer thread as group commits. While a commit is in flight, new items accumulate, so the
 * batch grows with the load (one fsync for many messages). Callbacks fire in arrival order,
 * after the commit: PUBACK after commit (docs/protocol.md).
 */
export class StoreWriter {
  private readonly thread: WorkerClient<WorkerRequest, WorkerReply>;
  private current: Pending = { items: [], callbacks: [] };
  /** Group commits on their way to the writer thread. */
  private commits = 0;
  private scheduled = false;
  private closed = false;
  /** Group commits start at most every `commitIntervalMs` under load. */
  private readonly pacer: Pacer;
  /** Items per commit, for the metrics. */
  onCommit: ((items: number, ms: number, error: string | undefined) => void) | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 5000,
    /**
     * Under load, group commits start at most this often (store.commitIntervalMs): what arrives
     * meanwhile joins the next one, so one fsync carries more messages. Idle, a message commits at once.
     */
    commitIntervalMs = 0,
  ) {
    this.pacer = new Pacer(commitIntervalMs, () => this.flush());
    this.thread = new WorkerClient('store writer', workerEntry(import.meta.url, 'writer-worker'), { dataDir: this.dataDir });
  }

  /** Starts the writer thread; resolves once it has opened and migrated the store. */
  async open(): Promise<void> {
    // A store file that is not a database is one line here, not a thread that dies without a message.
    if (existsSync(join(this.dataDir, STORE_FILE))) openStore(this.dataDir, { readonly: true }).close();
    this.thread.open();
    await this.maintenance({ op: 'retention', olderThanTs: 0, maxRows: Number.MAX_SAFE_INTEGER });
  }

  get queued(): number {
    return this.current.items.length;
  }

  write(item: StoreItem, cb: CommitCallback): void {
    // Fail fast: a closed store, or a writer thread that is gone, answers at once.
    const down = this.closed ? new Error('store is closed') : this.thread.failed;
    if (down) {
      cb(down, 0);
      return;
    }
    this.current.items.push(item);
    this.current.callbacks.push(cb);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /**
   * Gives the writer thread this nice value (store.writerNice): every PUBACK waits for its
   * commits, and on a busy machine it is the one serial stage (ADR 067). Null when set, else why not.
   */
  async setNice(nice: number): Promise<string | null> {
    const reply = await this.thread.call({ op: 'nice', nice });
    return reply.error ?? null;
  }

  /** Deletes local history older than `olderThanTs` and beyond `maxRows`. */
  async retention(olderThanTs: number, maxRows: number): Promise<number> {
    const reply = await this.maintenance({ op: 'retention', olderThanTs, maxRows });
    return reply.deleted ?? 0;
  }

  /** Deletes dead letters: these ids, or those of a device and/or older than `beforeTs` (all when neither). */
  async deadLettersDelete(what: { ids?: number[]; deviceId?: string; beforeTs?: number }): Promise<number> {
    return (await this.maintenance({ op: 'dlq_delete', ...what })).deleted ?? 0;
  }

  /** Deletes outbox rows the cloud acknowledged (ack-then-delete). */
  async outboxAck(ids: number[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.maintenance({ op: 'outbox_ack', ids })).deleted ?? 0;
  }

  /**
   * The disk quota's eviction, when the outbox is over maxBytes: every status record a newer one of
   * its kit supersedes, then the oldest telemetry, then the kits' latest status, until it fits;
   * never anything else (cooks, events, audit…). Counts by kind. With `countAs`, the counts are
   * also kept as relay drops (`<countAs>:<kind>`) in the same commit.
   */
  async outboxEvict(maxBytes: number, countAs?: string): Promise<Record<string, number>> {
    return (await this.maintenance({ op: 'outbox_evict', maxBytes, ...(countAs ? { countAs } : {}) })).evicted ?? {};
  }

  /** Records delivery attempts of notifications (state, next attempt, last error). */
  async notifyResults(results: NotifyResult[]): Promise<number> {
    if (results.length === 0) return 0;
    return (await this.maintenance({ op: 'notify_result', results })).deleted ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.pacer.cancel();
    while (!this.thread.failed && (this.current.items.length > 0 || this.thread.waiting > 0)) {
      this.flush();
      await new Promise((r) => setTimeout(r, 5));
    }
    await this.thread.close();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.current.items.length === 0 || this.commits >= this.maxInFlight) return;
    // Too soon after the last commit started, more messages join this one (the pacer's timer bounds the wait).
    if (!this.pacer.due(this.closed || this.current.items.length >= this.maxBatch)) return;
    const started = performance.now();
    const batch: Pending =
      this.current.items.length <= this.maxBatch
        ? this.current
        : { items: this.current.items.splice(0, this.maxBatch), callbacks: this.current.callbacks.splice(0, this.maxBatch) };
    if (batch === this.current) this.current = { items: [], callbacks: [] };
    this.commits++;
    this.thread.call({ op: 'write', batch: packBatch(batch.items) }).then(
      (reply) => this.committed(batch, reply.error, reply.outcomes, performance.now() - started),
      (err: Error) => this.committed(batch, err.message, undefined, performance.now() - started, err),
    );
    if (this.current.items.length > 0) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** A group commit answered (or the thread gone): every callback of it, in arrival order. */
  private committed(batch: Pending, error: string | undefined, outcomes: Uint8Array | undefined, ms: number, threadErr?: Error): void {
    this.commits--;
    const err = threadErr ?? (error !== undefined ? new Error(`store commit failed: ${error}`) : null);
    this.onCommit?.(batch.items.length, ms, err === null ? undefined : err.message);
    for (let i = 0; i < batch.callbacks.length; i++) (batch.callbacks[i] as CommitCallback)(err, (outcomes?.[i] ?? 0) as ItemOutcome);
    if (this.current.items.length > 0) this.scheduleFlush();
  }

  private async maintenance(req: DistributiveOmit<Exclude<WorkerRequest, { op: 'write' }>, 'id'>): Promise<WorkerReply> {
    const reply = await this.thread.call(req);
    if (reply.error) throw new Error(reply.error);
    return reply;
  }
}
