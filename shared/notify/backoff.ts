/** A delivery row after one attempt (the gateway's and the cloud's delivery tables both keep these). */
export interface AttemptResult {
  delivery: number;
  state: 'pending' | 'sent' | 'failed';
  attemptTs: number;
  nextTs: number;
  error: string | null;
}

export interface RetryPolicy {
  /** Delay after the first failed attempt; doubles per failure. */
  baseMs: number;
  /** Cap of that delay. */
  maxMs: number;
  /** Attempts before a delivery is given up (about a day with the defaults). */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 5000, maxMs: 10 * 60_000, maxAttempts: 150 };

/** A delivery row's state after one attempt (pure): sent, retried later with backoff, or given up. */
export function afterAttempt(
  row: { delivery: number; attempts: number },
  error: string | null,
  nowMs: number,
  p: RetryPolicy,
): AttemptResult {
  if (error === null) return { delivery: row.delivery, state: 'sent', attemptTs: nowMs, nextTs: nowMs, error: null };
  const attempts = row.attempts + 1;
  if (attempts >= p.maxAttempts) return { delivery: row.delivery, state: 'failed', attemptTs: nowMs, nextTs: nowMs, error };
  const delay = Math.min(p.maxMs, p.baseMs * 2 ** Math.min(row.attempts, 30));
  return { delivery: row.delivery, state: 'pending', attemptTs: nowMs, nextTs: nowMs + delay, error };
}
