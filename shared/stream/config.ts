import { z } from 'zod';
import { opt } from '../config/spec.js';

/** The `stream.*` keys of GET /v1/stream (server-sent events), the same on the gateway and the cloud (ADR 034). */
export const streamConfig = {
  ringSize: opt(z.number().int().min(10).max(1_000_000), {
    kind: 'int',
    unit: 'messages',
    default: 20_000,
    help: 'Recent stream messages kept in memory (per org on the cloud) for Last-Event-ID resume; older ids get a reset event.',
  }),
  readingIntervalMs: opt(z.number().int().min(0).max(3_600_000), {
    kind: 'int',
    unit: 'ms',
    default: 1_000,
    help: 'At most one reading per kit per this interval on the stream (0 = every reading).',
  }),
  fleetReadingBytesPerSec: opt(
    z
      .number()
      .int()
      .min(0)
      .max(1024 * 1024 * 1024),
    {
      kind: 'int',
      unit: 'bytes/s',
      default: 16_384,
      help: 'Readings per fleet stream (one without ?devices=) at most this many bytes a second; past it each kit keeps only its latest reading and kits are sent round-robin (state, events and alarms are never held back; 0 = unlimited).',
    },
  ),
  heartbeatMs: opt(z.number().int().min(1_000).max(300_000), {
    kind: 'int',
    unit: 'ms',
    default: 15_000,
    help: 'Interval of the heartbeat comment that keeps proxies from closing an idle stream.',
  }),
  flushMs: opt(z.number().int().min(0).max(5_000), {
    kind: 'int',
    unit: 'ms',
    default: 250,
    help: 'Messages are written to every stream together once per this interval (0 = on the next turn of the event loop).',
  }),
  maxBufferBytes: opt(
    z
      .number()
      .int()
      .min(1_024)
      .max(256 * 1024 * 1024),
    {
      kind: 'int',
      unit: 'bytes',
      default: 1024 * 1024,
      help: 'A stream whose unsent bytes exceed this is dropped (the client reconnects and resumes); never buffered forever.',
    },
  ),
  maxClients: opt(z.number().int().min(0).max(100_000), {
    kind: 'int',
    unit: 'streams',
    default: 2_000,
    help: 'Open streams per server; past it GET /v1/stream answers 429.',
  }),
};

/** The cloud's own `stream.*` key: a gateway serves one kitchen, so its server limit is the kitchen's. */
export const orgStreamLimit = {
  maxClientsPerOrg: opt(z.number().int().min(1).max(100_000), {
    kind: 'int',
    unit: 'streams',
    default: 250,
    help: "Open streams of one org; past it that org's GET /v1/stream answers 429 while other orgs' streams still open.",
  }),
};

export interface StreamOptions {
  ringSize: number;
  readingIntervalMs: number;
  fleetReadingBytesPerSec: number;
  heartbeatMs: number;
  flushMs: number;
  maxBufferBytes: number;
  maxClients: number;
  /** The cloud: open streams of one scope (undefined: only the server's limit). */
  maxClientsPerOrg?: number;
}
