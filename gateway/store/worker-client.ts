import { Worker } from 'node:worker_threads';

export type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/**
 * The main-thread side of a gateway worker thread (the store's writer, the relay's outbox reader):
 * one request, one promise, matched by id. It fails fast: when the thread exits or throws, every
 * request waiting rejects with that reason, and so does every later one, instead of waiting for
 * an answer that will never come.
 */
export class WorkerClient<Req extends { id: number }, Reply extends { id: number }> {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: Reply): void; reject(e: Error): void }>();
  /** Why the thread cannot answer any more (it exited, threw, or was closed). */
  private failure: Error | undefined = new Error('not open');

  constructor(
    private readonly name: string,
    private readonly entry: URL,
    private readonly workerData: unknown,
  ) {}

  open(): void {
    const worker = new Worker(this.entry, { workerData: this.workerData });
    this.worker = worker;
    this.failure = undefined;
    worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.resolve(m);
    });
    // An error of a class the thread alone knows (better-sqlite3's SqliteError) arrives as a plain
    // object without its message: its code is then the best there is.
    worker.on('error', (err: Partial<NodeJS.ErrnoException>) =>
      this.fail(new Error(`${this.name} thread failed: ${err.message ?? err.code ?? String(err)}`)),
    );
    worker.on('exit', (code) => this.fail(new Error(`${this.name} thread exited (code ${code})`)));
  }

  /** Requests waiting for their answer. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Undefined while the thread can answer; else why not. */
  get failed(): Error | undefined {
    return this.failure;
  }

  call(req: DistributiveOmit<Req, 'id'>): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.failure || !this.worker) return reject(this.failure ?? new Error(`${this.name} is not open`));
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.fail(new Error(`${this.name} is closed`));
    await w?.terminate();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/**
 * A worker thread's entry. From the compiled tree it is `<name>.js`; from the TypeScript sources
 * (tests, tsx) Node 20 does not pass loader hooks to workers, so a one-line bootstrap registers
 * tsx inside the worker first. `base` is the caller's `import.meta.url`.
 */
export function workerEntry(base: string, name: string): URL {
  if (!base.endsWith('.ts')) return new URL(`./${name}.js`, base);
  const target = new URL(`./${name}.ts`, base).href;
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(target)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}
