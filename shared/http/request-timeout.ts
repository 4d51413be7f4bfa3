/**
 * Fastify options that end a request not received in full within `ms` (a body shorter than its
 * Content-Length, headers that never end): Node answers 408 and closes the connection. Only
 * receiving counts, so a long answer (a server-sent event stream) is not cut.
 *
 * Fastify sets only the server's `requestTimeout`, which is not enough on its own:
 * - Node checks the timeouts every 30 s (`connectionsCheckingInterval`), so a request could run
 *   up to `ms` + 30 s; it is checked ten times per timeout here;
 * - Node swaps the two timeouts when the headers' one is the longer (its default is 60 s), so a
 *   30 s request timeout would end a request only after 60 s; the headers get at most `ms` too.
 */
export function requestTimeoutOptions(ms: number): {
  requestTimeout: number;
  http: { connectionsCheckingInterval?: number; headersTimeout?: number };
} {
  // 0: no request timeout (Node's own headers timeout still applies).
  if (ms === 0) return { requestTimeout: 0, http: {} };
  return {
    requestTimeout: ms,
    http: { connectionsCheckingInterval: Math.max(50, Math.floor(ms / 10)), headersTimeout: Math.min(60_000, ms) },
  };
}
