import { Worker } from 'node:worker_threads';
import type { PersistedRelayState } from '../store/relay-state.js';
import type { Lane, ReaderRequest, ReadReply, StatsReply } from './reader-types.js';

type Req = ReaderRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** Main-thread handle of the relay's reader thread (reader-worker.ts): one request, one promise. */
export class OutboxReader {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(private readonly dataDir: string) {}

  open(): void {
    this.worker = new Worker(workerEntry(), { workerData: { dataDir: this.dataDir } });
    this.worker.on('message', (m: { id: number; reply?: unknown; error?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.reply);
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', () => this.failAll(new Error('relay reader thread exited')));
  }

  read(lanes: Lane[], maxRecords: number, maxBytes: number, lingerMs: number, head: string): Promise<ReadReply> {
    return this.call({ op: 'read', lanes, maxRecords, maxBytes, lingerMs, head }) as Promise<ReadReply>;
  }

  lastId(): Promise<number> {
    return this.call({ op: 'lastId' }) as Promise<number>;
  }

  relayState(): Promise<PersistedRelayState> {
    return this.call({ op: 'relayState' }) as Promise<PersistedRelayState>;
  }

  stats(): Promise<StatsReply> {
    return this.call({ op: 'stats' }) as Promise<StatsReply>;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }

  private call(req: Req): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (!this.worker) return reject(new Error('relay reader is closed'));
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...req });
    });
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** Same bootstrap as the store's writer thread: under tsx, register the loader inside the worker. */
function workerEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./reader-worker.js', import.meta.url);
  const target = new URL('./reader-worker.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(target)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}
