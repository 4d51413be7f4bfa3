import type { PersistedRelayState } from '../store/relay-state.js';
import { WorkerClient, workerEntry } from '../store/worker-client.js';
import type { Lane, ReaderRequest, ReadReply, StatsReply } from './reader-types.js';

type Answer = { id: number; reply?: unknown; error?: string };

/** Main-thread handle of the relay's reader thread (reader-worker.ts): one request, one promise; fails fast if the thread is gone. */
export class OutboxReader {
  private readonly thread: WorkerClient<ReaderRequest, Answer>;

  constructor(dataDir: string) {
    this.thread = new WorkerClient('relay reader', workerEntry(import.meta.url, 'reader-worker'), { dataDir });
  }

  open(): void {
    this.thread.open();
  }

  read(lanes: Lane[], maxRecords: number, maxBytes: number, lingerMs: number, head: string): Promise<ReadReply> {
    return this.ask({ op: 'read', lanes, maxRecords, maxBytes, lingerMs, head }) as Promise<ReadReply>;
  }

  lastId(): Promise<number> {
    return this.ask({ op: 'lastId' }) as Promise<number>;
  }

  relayState(): Promise<PersistedRelayState> {
    return this.ask({ op: 'relayState' }) as Promise<PersistedRelayState>;
  }

  stats(): Promise<StatsReply> {
    return this.ask({ op: 'stats' }) as Promise<StatsReply>;
  }

  close(): Promise<void> {
    return this.thread.close();
  }

  private async ask(req: Parameters<typeof this.thread.call>[0]): Promise<unknown> {
    const m = await this.thread.call(req);
    if (m.error !== undefined) throw new Error(m.error);
    return m.reply;
  }
}
