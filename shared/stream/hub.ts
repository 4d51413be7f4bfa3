import { randomBytes } from 'node:crypto';
import type { StreamOptions } from './config.js';
import { type Framed, frame, type StreamEventName } from './message.js';
import { Ring } from './ring.js';

/** One open stream as the hub sees it (the HTTP route adapts a reply to this). */
export interface StreamSink {
  /** One flush's frames; the same bytes go to every stream of the scope (encoded once). */
  write(chunk: string | Uint8Array): void;
  /** Bytes written but not yet taken by the socket. */
  buffered(): number;
  close(): void;
  /** A gateway-limited key's stream: only messages about this gateway's kits. */
  gatewayId?: string | null;
}

/** Carries framed messages to every instance's hub (the cloud on Redis); absent: delivered in-process. */
export interface StreamTransport {
  send(scope: string, f: Framed): void;
}

export interface HubCounters {
  published: number;
  /** Readings not published because the kit had one within `readingIntervalMs`. */
  readingsSkipped: number;
  /** Streams closed because they fell more than `maxBufferBytes` behind. */
  slowDropped: number;
  resets: number;
  replayed: number;
}

interface Scope {
  ring: Ring;
  sinks: Set<StreamSink>;
  pending: Framed[];
}

/**
 * The fan-out behind GET /v1/stream (ADR 034). `publish` is called after a commit and returns at
 * once: it frames the message once, and the frames of a scope (the gateway: one; the cloud: one
 * per org) are written together once per `flushMs` as one shared chunk per stream. A stream that
 * falls more than `maxBufferBytes` behind is closed (the client resumes with Last-Event-ID), so a
 * slow client never costs memory or time on the ingest path. Flushed frames go into the scope's
 * ring; `attach` replays the ring after a client's Last-Event-ID, or sends `reset` when the id is
 * no longer held.
 */
export class StreamHub {
  readonly counters: HubCounters = { published: 0, readingsSkipped: 0, slowDropped: 0, resets: 0, replayed: 0 };
  /** Ids are `<instance>-<seq>`: unique across restarts and instances, so a foreign or old id is never mistaken. */
  readonly instance = randomBytes(4).toString('hex');
  private readonly scopes = new Map<string, Scope>();
  private readonly lastReading = new Map<string, number>();
  private seq = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private open = 0;
  private closed = false;
  transport: StreamTransport | undefined;

  constructor(
    private readonly opts: Pick<StreamOptions, 'ringSize' | 'readingIntervalMs' | 'flushMs' | 'maxBufferBytes' | 'maxClients'>,
    private readonly now: () => number = Date.now,
  ) {}

  get clients(): number {
    return this.open;
  }

  get full(): boolean {
    return this.open >= this.opts.maxClients;
  }

  /** Frames one message and hands it on; never throws, never waits. */
  publish(scope: string, event: StreamEventName, data: { deviceId: string | null; gatewayId: string | null }): void {
    if (this.closed) return;
    if (event === 'reading' && this.opts.readingIntervalMs > 0) {
      const key = `${scope}\u0000${data.deviceId}`;
      const t = this.now();
      const last = this.lastReading.get(key);
      if (last !== undefined && t - last < this.opts.readingIntervalMs) {
        this.counters.readingsSkipped++;
        return;
      }
      this.lastReading.set(key, t);
    }
    this.counters.published++;
    const id = `${this.instance}-${(++this.seq).toString(36)}`;
    const f: Framed = { id, gatewayId: data.gatewayId, frame: frame(id, event, data) };
    if (this.transport) this.transport.send(scope, f);
    else this.deliver(scope, f);
  }

  /** A framed message for this instance's streams (from `publish`, or from the transport). */
  deliver(scope: string, f: Framed): void {
    if (this.closed) return;
    this.scope(scope).pending.push(f);
    if (this.timer === undefined) {
      this.timer = this.opts.flushMs === 0 ? setImmediate(this.flush) : setTimeout(this.flush, this.opts.flushMs);
      if ('unref' in this.timer) this.timer.unref();
    }
  }

  /** Registers a stream: replays after `lastEventId` (or sends reset), then `ready`. Returns the detach function. */
  attach(scopeName: string, sink: StreamSink, lastEventId?: string | null): () => void {
    const s = this.scope(scopeName);
    let head = '';
    if (lastEventId) {
      const missed = s.ring.since(lastEventId);
      if (missed === null) {
        this.counters.resets++;
        head += frame(null, 'reset', { reason: 'Last-Event-ID is no longer held by this server; refetch, then follow the stream' });
      } else {
        this.counters.replayed += missed.length;
        head += chunkFor(missed, sink.gatewayId);
      }
    }
    const newest = s.ring.newest();
    head += frame(newest?.id ?? null, 'ready', { ts: this.now() });
    sink.write(head);
    s.sinks.add(sink);
    this.open++;
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      s.sinks.delete(sink);
      this.open--;
    };
  }

  /** Drops every open stream without stopping the hub (they reconnect and resume; tests use it to break streams). */
  disconnectAll(): void {
    for (const s of this.scopes.values()) for (const sink of [...s.sinks]) sink.close();
  }

  /** Closes every stream (the server is stopping). */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
    }
    for (const s of this.scopes.values()) for (const sink of [...s.sinks]) sink.close();
  }

  private scope(name: string): Scope {
    let s = this.scopes.get(name);
    if (!s) {
      s = { ring: new Ring(this.opts.ringSize), sinks: new Set(), pending: [] };
      this.scopes.set(name, s);
    }
    return s;
  }

  private readonly flush = (): void => {
    this.timer = undefined;
    for (const s of this.scopes.values()) {
      if (s.pending.length === 0) continue;
      const batch = s.pending;
      s.pending = [];
      for (const f of batch) s.ring.push(f);
      if (s.sinks.size === 0) continue;
      // Encoded once per flush, not once per stream: the same bytes are written to every socket.
      const all = Buffer.from(chunkFor(batch, null));
      const perGateway = new Map<string, Buffer>();
      for (const sink of [...s.sinks]) {
        if (sink.buffered() > this.opts.maxBufferBytes) {
          this.counters.slowDropped++;
          sink.close();
          continue;
        }
        let chunk: Buffer = all;
        if (sink.gatewayId) {
          chunk = perGateway.get(sink.gatewayId) ?? Buffer.from(chunkFor(batch, sink.gatewayId));
          perGateway.set(sink.gatewayId, chunk);
        }
        if (chunk.length > 0) sink.write(chunk);
      }
    }
  };
}

function chunkFor(frames: readonly Framed[], gatewayId: string | null | undefined): string {
  let out = '';
  for (const f of frames) if (!gatewayId || f.gatewayId === gatewayId) out += f.frame;
  return out;
}
