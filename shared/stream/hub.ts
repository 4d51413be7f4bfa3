import { randomBytes } from 'node:crypto';
import { ReadingBudget } from './budget.js';
import type { StreamOptions } from './config.js';
import { type Framed, frame, LazyFramed, type StreamEventName } from './message.js';
import { Ring } from './ring.js';
import { matcher, type Selection, selectionKey, selectionOf } from './selection.js';

/** One open stream as the hub sees it (the HTTP route adapts a reply to this). */
export interface StreamSink {
  /** One flush's frames; the same bytes go to every stream of the same selection (encoded once). */
  write(chunk: string | Uint8Array): void;
  /** Bytes written but not yet taken by the socket. */
  buffered(): number;
  close(): void;
  /** A gateway-limited key's stream: only messages about this gateway's kits. */
  gatewayId?: string | null;
  /** `?devices=`: only messages about these kits (and those about no kit); absent or null: the fleet. */
  devices?: readonly string[] | null;
  /** The stream's heartbeat interval, named in `ready` so a client can tell a silent stream from a quiet one. */
  heartbeatMs?: number;
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
  /** Fleet-stream readings replaced by a newer one of the same kit before the reading budget let them out. */
  readingsConflated: number;
}

/** The streams of one scope with the same selection: they share each flush's chunk (and, for the fleet, one reading budget). */
interface Group {
  selection: Selection;
  selects: (f: Framed) => boolean;
  sinks: Set<StreamSink>;
  /** Fleet streams when `fleetReadingBytesPerSec` > 0. */
  budget: ReadingBudget | undefined;
  /** The newest id this group has seen selected (sent or conflated): a budgeted chunk ends on it. */
  covered: string | null;
}

interface Scope {
  ring: Ring;
  groups: Map<string, Group>;
  /** The `?devices=` groups by kit, so a flush visits only the groups a message is for. */
  byDevice: Map<string, Set<Group>>;
  pending: Framed[];
}

/** While a reading budget holds readings back, the hub flushes at least this often to let them out. */
const BACKLOG_FLUSH_MS = 100;

/**
 * The fan-out behind GET /v1/stream (ADR 034, ADR 040). `publish` is called after a commit and
 * returns at once: it frames the message once, and the frames of a scope (the gateway: one; the
 * cloud: one per org) are written together once per `flushMs`. Streams with the same selection
 * (fleet, `?devices=`, a gateway-limited key) form a group that gets one chunk per flush, encoded
 * once; `?devices=` groups are indexed by kit, so a flush costs O(messages + selected messages +
 * streams), not O(messages × streams). Fleet groups
 * pass readings through a byte budget (`fleetReadingBytesPerSec`: latest reading per kit,
 * round-robin). A stream that falls more than `maxBufferBytes` behind is closed (the client
 * resumes with Last-Event-ID), so a slow client never costs memory or time on the ingest path.
 * Flushed frames go into the scope's ring; `attach` replays the ring after a client's
 * Last-Event-ID through the stream's selection, or sends `reset` when the id is no longer held.
 */
export class StreamHub {
  readonly counters: HubCounters = {
    published: 0,
    readingsSkipped: 0,
    slowDropped: 0,
    resets: 0,
    replayed: 0,
    readingsConflated: 0,
  };
  /** Ids are `<instance>-<seq>`: unique across restarts and instances, so a foreign or old id is never mistaken. */
  readonly instance = randomBytes(4).toString('hex');
  private readonly scopes = new Map<string, Scope>();
  /**
   * Per scope: when each kit's last reading was published, in two generations swapped every
   * reading interval, so that a kit gone quiet is forgotten (it needs no clock once an interval
   * has passed) and the clocks hold only the kits heard from lately.
   */
  private readingClock = new Map<string, Map<string | null, number>>();
  private readingClockBefore = new Map<string, Map<string | null, number>>();
  private readingClockSince = Number.NEGATIVE_INFINITY;
  private seq = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private open = 0;
  /** Open streams per scope. */
  private readonly openIn = new Map<string, number>();
  private closed = false;
  transport: StreamTransport | undefined;

  constructor(
    private readonly opts: Pick<
      StreamOptions,
      'ringSize' | 'readingIntervalMs' | 'flushMs' | 'maxBufferBytes' | 'maxClients' | 'maxClientsPerOrg' | 'fleetReadingBytesPerSec'
    >,
    private readonly now: () => number = Date.now,
  ) {}

  get clients(): number {
    return this.open;
  }

  /**
   * Why a new stream of this scope may not open (null: it may). One org's streams never take the
   * whole server: each scope has its own limit below the server's.
   */
  refusal(scopeName: string): string | null {
    if (this.open >= this.opts.maxClients) return 'streams: at the server limit (stream.maxClients)';
    const perOrg = this.opts.maxClientsPerOrg;
    if (perOrg !== undefined && (this.openIn.get(scopeName) ?? 0) >= perOrg) return "streams: at the org's limit (stream.maxClientsPerOrg)";
    return null;
  }

  /** Kits whose last reading time is kept (for the reading interval): those heard from in the last two intervals at most. */
  get readingClocks(): number {
    let n = 0;
    for (const m of [this.readingClock, this.readingClockBefore]) for (const seen of m.values()) n += seen.size;
    return n;
  }

  /** Readings held back by fleet reading budgets (one per kit at most, per scope). */
  get readingBacklog(): number {
    let n = 0;
    for (const s of this.scopes.values()) for (const g of s.groups.values()) n += g.budget?.backlog ?? 0;
    return n;
  }

  /** Frames one message and hands it on; never throws, never waits. */
  publish(scope: string, event: StreamEventName, data: { deviceId: string | null; gatewayId: string | null }): void {
    if (this.closed) return;
    if (event === 'reading' && this.opts.readingIntervalMs > 0) {
      const t = this.now();
      // Swapped once the current generation is an interval old: an entry is dropped only at the
      // second swap after it was set, more than an interval later. A clock stepped back only moves
      // the generation's start (a swap then could drop clocks still within their interval).
      if (t < this.readingClockSince) this.readingClockSince = t;
      else if (t - this.readingClockSince >= this.opts.readingIntervalMs) {
        this.readingClockBefore = this.readingClock;
        this.readingClock = new Map();
        this.readingClockSince = t;
      }
      let seen = this.readingClock.get(scope);
      if (seen === undefined) {
        seen = new Map();
        this.readingClock.set(scope, seen);
      }
      const last = seen.get(data.deviceId) ?? this.readingClockBefore.get(scope)?.get(data.deviceId);
      // A clock stepped back (t before the last one) does not hold a kit's readings back for the step.
      if (last !== undefined && t >= last && t - last < this.opts.readingIntervalMs) {
        this.counters.readingsSkipped++;
        return;
      }
      seen.set(data.deviceId, t);
    }
    this.counters.published++;
    const id = `${this.instance}-${(++this.seq).toString(36)}`;
    const f: Framed = new LazyFramed(id, event, data.deviceId, data.gatewayId, data);
    if (this.transport) this.transport.send(scope, f);
    else this.deliver(scope, f);
  }

  /** A framed message for this instance's streams (from `publish`, or from the transport). */
  deliver(scope: string, f: Framed): void {
    if (this.closed) return;
    this.scope(scope).pending.push(f);
    this.schedule(this.opts.flushMs);
  }

  /** Registers a stream: replays after `lastEventId` through its selection (or sends reset), then `ready`. Returns the detach function. */
  attach(scopeName: string, sink: StreamSink, lastEventId?: string | null): () => void {
    const s = this.scope(scopeName);
    const selection = selectionOf(sink.gatewayId, sink.devices);
    const key = selectionKey(selection);
    let g = s.groups.get(key);
    if (!g) {
      g = {
        selection,
        selects: matcher(selection),
        sinks: new Set(),
        budget:
          selection.devices === null && this.opts.fleetReadingBytesPerSec > 0
            ? new ReadingBudget(this.opts.fleetReadingBytesPerSec, () => this.counters.readingsConflated++)
            : undefined,
        covered: null,
      };
      s.groups.set(key, g);
      for (const d of selection.devices ?? []) {
        const set = s.byDevice.get(d) ?? new Set<Group>();
        set.add(g);
        s.byDevice.set(d, set);
      }
    }
    const group = g;
    let head = '';
    if (lastEventId) {
      const missed = s.ring.since(lastEventId);
      if (missed === null) {
        this.counters.resets++;
        head += frame(null, 'reset', { reason: 'Last-Event-ID is no longer held by this server; refetch, then follow the stream' });
      } else {
        const selected = missed.filter(group.selects);
        this.counters.replayed += selected.length;
        for (const f of selected) head += f.frame;
      }
    }
    const newest = s.ring.newest();
    head += frame(newest?.id ?? null, 'ready', { ts: this.now(), ...(sink.heartbeatMs ? { heartbeatMs: sink.heartbeatMs } : {}) });
    sink.write(head);
    group.sinks.add(sink);
    this.open++;
    this.openIn.set(scopeName, (this.openIn.get(scopeName) ?? 0) + 1);
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      group.sinks.delete(sink);
      if (group.sinks.size === 0 && s.groups.get(key) === group) {
        s.groups.delete(key);
        for (const d of group.selection.devices ?? []) {
          const set = s.byDevice.get(d);
          set?.delete(group);
          if (set?.size === 0) s.byDevice.delete(d);
        }
      }
      this.open--;
      const left = (this.openIn.get(scopeName) ?? 1) - 1;
      if (left > 0) this.openIn.set(scopeName, left);
      else this.openIn.delete(scopeName);
    };
  }

  /** Drops every open stream without stopping the hub (they reconnect and resume; tests use it to break streams). */
  disconnectAll(): void {
    for (const sink of this.sinks()) sink.close();
  }

  /** Closes every stream (the server is stopping). */
  close(): void {
    this.closed = true;
    this.cancel();
    for (const sink of this.sinks()) sink.close();
  }

  /**
   * Writes what is pending (normally on the hub's timer; tests with a fake clock call it): each
   * group's chunk, encoded once and written to each of its streams.
   */
  readonly flush = (): void => {
    this.cancel();
    const now = this.now();
    let backlog = false;
    for (const s of this.scopes.values()) {
      const batch = s.pending;
      if (batch.length > 0) {
        s.pending = [];
        for (const f of batch) s.ring.push(f);
      }
      const forDevices = batch.length > 0 && s.byDevice.size > 0 ? deviceChunks(s, batch) : undefined;
      for (const g of s.groups.values()) {
        let text: string;
        if (g.selection.devices !== null) {
          text = forDevices?.get(g) ?? '';
          if (text === '') continue; // nothing for it: no write, not even a look at its sockets
        } else {
          if (batch.length === 0 && !g.budget?.backlog) continue;
          text = chunkOf(g, batch, now);
          if (g.budget && g.budget.backlog > 0) backlog = true;
        }
        // Encoded once per group and flush, not once per stream: the same bytes go to every socket of the group.
        const chunk = text === '' ? undefined : Buffer.from(text);
        for (const sink of [...g.sinks]) {
          if (sink.buffered() > this.opts.maxBufferBytes) {
            this.counters.slowDropped++;
            sink.close();
            continue;
          }
          if (chunk) sink.write(chunk);
        }
      }
    }
    if (backlog && !this.closed) this.schedule(Math.max(this.opts.flushMs, BACKLOG_FLUSH_MS));
  };

  private schedule(ms: number): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = ms === 0 ? setImmediate(this.flush) : setTimeout(this.flush, ms);
    if ('unref' in this.timer) this.timer.unref();
  }

  private cancel(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  private sinks(): StreamSink[] {
    const all: StreamSink[] = [];
    for (const s of this.scopes.values()) for (const g of s.groups.values()) all.push(...g.sinks);
    return all;
  }

  private scope(name: string): Scope {
    let s = this.scopes.get(name);
    if (!s) {
      s = { ring: new Ring(this.opts.ringSize), groups: new Map(), byDevice: new Map(), pending: [] };
      this.scopes.set(name, s);
    }
    return s;
  }
}

/**
 * The text of every `?devices=` group for one flush, through the kit index: a message about a kit
 * visits only the groups that follow it; one about no kit visits every device group. In order.
 */
function deviceChunks(s: Scope, batch: readonly Framed[]): Map<Group, string> {
  const out = new Map<Group, string>();
  const add = (g: Group, f: Framed) => {
    if (g.selection.gatewayId !== null && f.gatewayId !== g.selection.gatewayId) return;
    out.set(g, (out.get(g) ?? '') + f.frame);
  };
  for (const f of batch) {
    if (f.deviceId !== null) {
      const groups = s.byDevice.get(f.deviceId);
      if (groups) for (const g of groups) add(g, f);
    } else {
      for (const g of s.groups.values()) if (g.selection.devices !== null) add(g, f);
    }
  }
  return out;
}

/**
 * A fleet group's text for one flush: the selected frames in order; in a budgeted (fleet) group the
 * readings go through the budget and follow the other messages, and the chunk ends with an id-only
 * line naming the newest message the group has covered, so a client resumes after what it was
 * shown or skipped, never before (the readings it skipped are not replayed; it refetches on reconnect).
 */
function chunkOf(g: Group, batch: readonly Framed[], now: number): string {
  let out = '';
  if (!g.budget) {
    for (const f of batch) if (g.selects(f)) out += f.frame;
    return out;
  }
  let lastId: string | null = null;
  for (const f of batch) {
    if (!g.selects(f)) continue;
    g.covered = f.id;
    if (f.event === 'reading') g.budget.offer(f);
    else {
      out += f.frame;
      lastId = f.id;
    }
  }
  for (const f of g.budget.take(now)) {
    out += f.frame;
    lastId = f.id;
  }
  if (out !== '' && g.covered !== null && lastId !== g.covered) out += `id: ${g.covered}\n\n`;
  return out;
}
