import { Counter, Gauge, type Registry } from 'prom-client';
import type { HubCounters, StreamHub } from './hub.js';

const COUNTERS: Record<keyof HubCounters, [name: string, help: string]> = {
  published: ['stream_published_total', 'Messages published to the live stream (GET /v1/stream).'],
  readingsSkipped: ['stream_readings_skipped_total', 'Readings not streamed: the kit had one within stream.readingIntervalMs.'],
  readingsConflated: [
    'stream_readings_conflated_total',
    'Fleet-stream readings replaced by a newer one of the same kit before stream.fleetReadingBytesPerSec let them out (shared by every fleet stream of a scope).',
  ],
  slowDropped: ['stream_slow_dropped_total', 'Streams closed because more than stream.maxBufferBytes were unsent (the client resumes).'],
  resets: ['stream_resets_total', 'Streams opened with a Last-Event-ID no longer held (told to refetch).'],
  replayed: ['stream_replayed_total', 'Messages replayed to resuming streams.'],
};

/** The live stream's counters and gauges on a server's /metrics (the same names on the gateway and the cloud). */
export function registerStreamMetrics(registry: Registry, hub: StreamHub): void {
  for (const key of Object.keys(COUNTERS) as (keyof HubCounters)[]) {
    const [name, help] = COUNTERS[key];
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(hub.counters[key]);
      },
    });
  }
  new Gauge({
    name: 'stream_clients',
    help: 'Open live streams.',
    registers: [registry],
    collect() {
      this.set(hub.clients);
    },
  });
  new Gauge({
    name: 'stream_reading_backlog',
    help: 'Readings held back by fleet reading budgets (at most one per kit per scope).',
    registers: [registry],
    collect() {
      this.set(hub.readingBacklog);
    },
  });
}
