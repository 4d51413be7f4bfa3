import { request } from 'node:http';
import { type SseMessage, SseParser } from './sse-parse.js';

/**
 * A Node client of GET /v1/stream for tests and the bench: a plain HTTP request (Authorization,
 * Last-Event-ID), the answer parsed as it arrives. `next` waits for a message that matches.
 */
export interface SseClient {
  status: Promise<number>;
  messages: SseMessage[];
  /** Bytes received so far. */
  bytes: number;
  parser: SseParser;
  closed: Promise<void>;
  next(match: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string> = {}, o: { keep?: boolean } = {}): SseClient {
  const parser = new SseParser(headers['last-event-id'] ?? '');
  const messages: SseMessage[] = [];
  const waiters = new Set<() => void>();
  let resolveStatus: (n: number) => void = () => {};
  let resolveClosed: () => void = () => {};
  const client: SseClient = {
    status: new Promise((r) => {
      resolveStatus = r;
    }),
    messages,
    bytes: 0,
    parser,
    closed: new Promise((r) => {
      resolveClosed = r;
    }),
    next(match, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        let from = 0;
        const check = () => {
          for (; from < messages.length; from++) {
            const m = messages[from] as SseMessage;
            if (match(m)) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(m);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching stream message within ${timeoutMs} ms (got ${messages.length})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => req.destroy(),
  };
  const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    res.setEncoding('utf8');
    res.on('data', (text: string) => {
      client.bytes += text.length;
      const got = parser.feed(text);
      if (o.keep === false) return;
      messages.push(...got);
      if (got.length > 0) for (const w of [...waiters]) w();
    });
    res.on('close', () => resolveClosed());
  });
  req.on('error', () => {
    resolveStatus(0);
    resolveClosed();
  });
  req.end();
  return client;
}
