import type { StreamEventName } from '../../shared/stream/message.js';
import { SseParser } from '../../shared/stream/sse-parse.js';

/**
 * Live updates from GET /v1/stream (server-sent events, ADR 034). Read with fetch rather than
 * EventSource, which cannot send the gateway's Authorization header; the format, ids and
 * Last-Event-ID resume are the standard ones. States: `connecting`, `live` (after the server's
 * `ready`), `down` (broken: the shell polls instead and this reconnects with backoff: 1 s, 2 s,
 * 4 s … 30 s, jittered). `devices`: the kits the page shows (`?devices=`); absent, the fleet stream.
 * A stream that falls silent (a half-open connection, a proxy holding it) is dropped as broken once
 * nothing, not even a heartbeat comment, has arrived for 2.5 heartbeats (the interval `ready`
 * names, 15 s when it does not): the page then polls, and never says "Live" over frozen values.
 */
const DEFAULT_HEARTBEAT_MS = 15_000;
const MISSED_HEARTBEATS = 2.5;
export type LiveState = 'connecting' | 'live' | 'down';

export interface StreamMsg {
  event: StreamEventName | 'reset';
  // biome-ignore lint/suspicious/noExplicitAny: the views read the fields they know (shared/stream/message.ts)
  data: any;
}

export interface LiveStream {
  readonly state: LiveState;
  close(): void;
}

export function liveStream(o: {
  headers: Record<string, string>;
  /** Only these kits' messages (a kit's page); absent: every kit (list pages). */
  devices?: readonly string[];
  onMessage(m: StreamMsg): void;
  onState(s: LiveState): void;
  /** 401/403: the credential is no longer accepted (the shell logs out). */
  onRefused(): void;
}): LiveStream {
  let state: LiveState = 'connecting';
  let lastId = '';
  let failures = 0;
  let closed = false;
  let abort: AbortController | undefined;
  let timer: number | undefined;
  let heartbeatMs = DEFAULT_HEARTBEAT_MS;
  let lastByte = 0;
  let watchdog: number | undefined;
  const set = (s: LiveState) => {
    if (s === state) return;
    state = s;
    o.onState(s);
  };

  const url = o.devices?.length ? `/v1/stream?devices=${o.devices.map(encodeURIComponent).join(',')}` : '/v1/stream';
  const connect = async () => {
    const ctrl = new AbortController();
    abort = ctrl;
    const parser = new SseParser(lastId);
    lastByte = Date.now();
    clearInterval(watchdog);
    watchdog = window.setInterval(() => {
      if (Date.now() - lastByte > heartbeatMs * MISSED_HEARTBEATS) ctrl.abort();
    }, 1000);
    try {
      const res = await fetch(url, {
        headers: { accept: 'text/event-stream', ...o.headers, ...(lastId ? { 'last-event-id': lastId } : {}) },
        credentials: 'same-origin',
        cache: 'no-store',
        signal: abort.signal,
      });
      if (res.status === 401 || res.status === 403) {
        closed = true;
        clearInterval(watchdog);
        set('down');
        o.onRefused();
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        lastByte = Date.now();
        for (const m of parser.feed(value)) {
          lastId = m.lastEventId;
          if (m.event === 'ready') {
            let hb: unknown;
            try {
              hb = (JSON.parse(m.data) as { heartbeatMs?: unknown }).heartbeatMs;
            } catch {}
            heartbeatMs = typeof hb === 'number' && hb > 0 ? hb : DEFAULT_HEARTBEAT_MS;
            failures = 0;
            set('live');
            continue;
          }
          let data: unknown;
          try {
            data = JSON.parse(m.data);
          } catch {
            continue;
          }
          o.onMessage({ event: m.event as StreamMsg['event'], data });
        }
        // A fleet stream under its reading budget ends a chunk with an id alone: resume after it.
        lastId = parser.lastEventId;
      }
    } catch {
      // network error, abort or a silent stream: handled below
    }
    clearInterval(watchdog);
    if (closed) return;
    set('down');
    failures++;
    const wait = Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5)) * (0.75 + Math.random() / 2);
    timer = window.setTimeout(() => void connect(), wait);
  };
  o.onState(state);
  void connect();
  return {
    get state() {
      return state;
    },
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(watchdog);
      abort?.abort();
    },
  };
}
