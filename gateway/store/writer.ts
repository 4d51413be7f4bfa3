import { Worker } from 'node:worker_threads';
import type { ItemOutcome, StoreItem } from './items.js';
import type { NotifyResult, WorkerReply, WorkerRequest } from './writer-worker.js';

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

export type CommitCallback = (err: Error | null, outcome: ItemOutcome) => void;

interface Pending {
  items: StoreItem[];
  callbacks: CommitCallback[];
}

/**
 * Main-thread side of the store: collects items from the ingestion path and sends them to the
 * writer thread as group commits. While a commit is in flight, new items accumulate, so the
 * batch grows with the load (one fsync for many messages). Callbacks fire in arrival order,
 * after the commit: PUBACK after commit (PROTOCOL.md).
 */
export class StoreWriter {
  private worker: Worker | undefined;
  private current: Pending = { items: [], callbacks: [] };
  private readonly inFlight = new Map<number, Pending | ((reply: WorkerReply) => void)>();
  private nextId = 1;
  private scheduled = false;
  private closed = false;
  /** Items per commit, for the metrics. */
  onCommit: ((items: number, ms: number, failed: boolean) => void) | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 5000,
  ) {}

  /** Starts the writer thread; resolves once it has opened and migrated the store. */
  async open(): Promise<void> {
    this.worker = new Worker(workerEntry(), { workerData: { dataDir: this.dataDir } });
    this.worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    this.worker.on('error', (err) => this.failAll(err));
    await this.maintenance({ op: 'retention', olderThanTs: 0, maxRows: Number.MAX_SAFE_INTEGER });
  }

  get queued(): number {
    return this.current.items.length;
  }

  write(item: StoreItem, cb: CommitCallback): void {
    if (this.closed || !this.worker) {
      cb(new Error(this.closed ? 'store is closed' : 'store is not open'), 0);
      return;
    }
    this.current.items.push(item);
    this.current.callbacks.push(cb);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
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
   * Drops the oldest outbox rows of priority ≥ minPriority until the outbox fits maxBytes; counts by
   * kind. With `countAs`, the counts are also kept as relay drops (`<countAs>:<kind>`) in the same commit.
   */
  async outboxEvict(maxBytes: number, minPriority: number, countAs?: string): Promise<Record<string, number>> {
    return (await this.maintenance({ op: 'outbox_evict', maxBytes, minPriority, ...(countAs ? { countAs } : {}) })).evicted ?? {};
  }

  /** Records delivery attempts of notifications (state, next attempt, last error). */
  async notifyResults(results: NotifyResult[]): Promise<number> {
    if (results.length === 0) return 0;
    return (await this.maintenance({ op: 'notify_result', results })).deleted ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.worker && (this.current.items.length > 0 || this.inFlight.size > 0)) {
      this.flush();
      await new Promise((r) => setTimeout(r, 5));
    }
    await this.worker?.terminate();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.current.items.length === 0 || this.inFlight.size >= this.maxInFlight) return;
    const batch: Pending =
      this.current.items.length <= this.maxBatch
        ? this.current
        : { items: this.current.items.splice(0, this.maxBatch), callbacks: this.current.callbacks.splice(0, this.maxBatch) };
    if (batch === this.current) this.current = { items: [], callbacks: [] };
    const id = this.nextId++;
    this.inFlight.set(id, batch);
    (batch as Pending & { started?: number }).started = performance.now();
    this.worker?.postMessage({ id, op: 'write', items: batch.items } satisfies WorkerRequest);
    if (this.current.items.length > 0) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private onReply(reply: WorkerReply): void {
    const pending = this.inFlight.get(reply.id);
    this.inFlight.delete(reply.id);
    if (typeof pending === 'function') {
      pending(reply);
    } else if (pending) {
      const ms = performance.now() - ((pending as Pending & { started?: number }).started ?? 0);
      this.onCommit?.(pending.items.length, ms, reply.error !== undefined);
      const err = reply.error !== undefined ? new Error(`store commit failed: ${reply.error}`) : null;
      const outcomes = reply.outcomes;
      for (let i = 0; i < pending.callbacks.length; i++) (pending.callbacks[i] as CommitCallback)(err, (outcomes?.[i] ?? 0) as ItemOutcome);
    }
    if (this.current.items.length > 0) this.scheduleFlush();
  }

  private maintenance(req: DistributiveOmit<Exclude<WorkerRequest, { op: 'write' }>, 'id'>): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.inFlight.set(id, (reply) => (reply.error ? reject(new Error(reply.error)) : resolve(reply)));
      if (!this.worker) return reject(new Error('store is not open'));
      this.worker.postMessage({ id, ...req } satisfies WorkerRequest);
    });
  }

  private failAll(err: Error): void {
    for (const [, pending] of this.inFlight) {
      if (typeof pending === 'function') pending({ id: 0, error: err.message });
      else for (const cb of pending.callbacks) cb(err, 0);
    }
    this.inFlight.clear();
  }
}

/**
 * The writer thread's entry. From the compiled tree it is writer-worker.js; from the TypeScript
 * sources (tests, tsx) Node 20 does not pass loader hooks to workers, so a one-line bootstrap
 * registers tsx inside the worker first.
 */
function workerEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./writer-worker.js', import.meta.url);
  const target = new URL('./writer-worker.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(target)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}
