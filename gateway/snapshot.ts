import type { Logger } from '../shared/log.js';
import type { CounterName, Stats } from './stats.js';

/** The design's once-a-second snapshot: one log line with the deltas and totals of every stage. */
export function startSnapshot(stats: Stats, log: Logger, everyMs = 1000): () => void {
  let last = stats.snapshot();
  const timer = setInterval(() => {
    const now = stats.snapshot();
    const delta: Partial<Record<CounterName, number>> = {};
    for (const k of Object.keys(now) as CounterName[]) if (now[k] !== last[k]) delta[k] = now[k] - last[k];
    last = now;
    log.info({ snapshot: true, delta, total: now }, 'pipeline');
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
