import type { Alarm } from '../../shared/alarms/lifecycle.js';
import { PRIORITY } from '../store/items.js';
import type { DesiredState } from './downlink.js';
import { BACKOFF_RESET, type BackoffState, initialBatchSize, nextBackoff, type SizerLimits, shrunk, sizeAfterSuccess } from './pacing.js';
import type { Lane } from './reader-types.js';
import type { SendOutcome } from './transport.js';

/**
 * The relay's decisions as one pure step (the way `controlStep` is for a kit's control):
 * relayStep(state, event, cfg) → { state, actions }. The driver (relay.ts) owns the I/O: it reads
 * the outbox, sends batches, waits, acknowledges rows, applies the desired state and logs, and
 * feeds what happened back in as events. Nothing here reads a clock or a random source; the
 * events carry both.
 */
/**
 * `unauthorized`: 401/403 (the token); `refused`: a 400/422 for the batch as a whole (the envelope:
 * a relay version the cloud does not take, a proxy's own 400). Both keep every row and back off
 * until an operator (or an upgrade) fixes the cause.
 */
export type LinkState = 'starting' | 'up' | 'retrying' | 'throttled' | 'unauthorized' | 'refused' | 'stopped';
const ALL = Number.MAX_SAFE_INTEGER;

export interface RelayStepConfig {
  maxInFlight: number;
  lingerMs: number;
  idleSyncMs: number;
  requestTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  sizer: SizerLimits;
}

/** Changes that wait until no batch is on the wire (see `reset` below). */
export interface PendingReset {
  lanes: boolean;
  bisect: boolean;
  quota: boolean;
}

export interface RelayState {
  link: LinkState;
  /** The desired-state version applied here; the cloud answers with anything newer. */
  desiredVersion: number;
  /** After an outage (or at start) one batch at a time, until the first success sets a new split. */
  recovering: boolean;
  /** While isolating a record the cloud refuses: the size of the next batch. */
  bisect: number | undefined;
  /** Outbox ids ≤ split are the backlog lane; newer bulk telemetry is the live lane. */
  split: number;
  /**
   * Per lane, the last outbox id already read into a batch: the next read starts after it. Batches
   * in flight or waiting for a retry hold the rows below; the cursors go back to the start of the
   * lanes only when none is left (`reset`).
   */
  cursors: number[];
  /**
   * 'lanes' after the first success following an outage (a new split between live and backlog);
   * 'bisect' after a batch the cloud refused whole (re-read in halves); 'quota' when the outbox is
   * over its quota (evict, so that no evicted row is on the wire or waiting for a retry).
   */
  reset: PendingReset;
  /** Batches on the wire, by sequence number, in send order. */
  inflight: number[];
  /** Batches that failed, in send order, resent unchanged once `retryAt` has passed. */
  retry: number[];
  retryAt: number;
  nextSeq: number;
  lastAttemptTs: number;
  lastSuccessTs: number | undefined;
  lastError: string | undefined;
  sentRecords: number;
  sentBatches: number;
  batchTarget: number;
  backoff: BackoffState;
  /** How long this round of the send loop waits once the window is filled. */
  roundWaitMs: number;
}

/** What the driver read from the outbox (the bytes stay with the driver). */
export interface ReadResult {
  count: number;
  waitMs: number;
  laneLast: number[];
  /** A batch ready to go (records and body). */
  ready: boolean;
}

export type RelayEvent =
  /** The kept state was read at start. */
  | { kind: 'loaded'; desiredVersion: number }
  /** A new round of the send loop: fill the window. */
  | { kind: 'round'; now: number }
  /** The driver did the I/O of a `reset_lanes`; `lastId` is the outbox's highest id when asked. */
  | { kind: 'lanes_reset'; lastId: number | undefined; now: number }
  | { kind: 'read'; result: ReadResult; now: number }
  /** A batch landed: the cloud's answer (or the network's). `random` feeds the backoff's jitter. */
  | { kind: 'landed'; seq: number; records: number; outcome: SendOutcome; latencyMs: number; now: number; random: number }
  | { kind: 'desired_applied'; version: number }
  /** The backlog stats found the outbox over its quota. */
  | { kind: 'over_quota' }
  /** A local failure (reader thread, store) in the send loop. */
  | { kind: 'local_error'; message: string; random: number };

export type RelayAction =
  /** Send a batch: one read just now (`read`), an empty heartbeat, or a failed one again (`retry`). */
  | { kind: 'launch'; seq: number; source: 'read' | 'heartbeat' | 'retry' }
  /** Read the next batch from these lanes (or take the one read ahead). */
  | { kind: 'read'; lanes: Lane[]; limit: number }
  /** Read the batch after it while this one is on the wire. */
  | { kind: 'read_ahead'; lanes: Lane[]; limit: number }
  /** No batch on the wire: drop what was read ahead, wait for the deletes, evict if asked, then answer `lanes_reset`. */
  | { kind: 'reset_lanes'; quota: boolean; lastId: boolean }
  /** Wait `ms`, or less when a batch lands (`landing`) or the driver is woken. */
  | { kind: 'wait'; ms: number; landing: boolean }
  /** Delete the batch's rows (ack-then-delete) and count them as sent. */
  | { kind: 'ack'; seq: number }
  | { kind: 'apply_desired'; desired: DesiredState }
  /** Alarms acknowledged in the cloud that this gateway has not confirmed: merge them (each answers with its state). */
  | { kind: 'apply_alarms'; alarms: Alarm[] }
  /** The batch is one record the cloud will never take: dead-letter it (with the cloud's code) and count the drop. */
  | { kind: 'dead_letter'; seq: number; status: number; code: string }
  | { kind: 'report_drops' }
  /** The outbox went over its quota: wake the send loop so it evicts. */
  | { kind: 'wake' }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; msg: string; data: Record<string, unknown> };

export interface RelayStepResult {
  state: RelayState;
  actions: RelayAction[];
}

export function initialRelayState(cfg: RelayStepConfig): RelayState {
  return {
    link: 'starting',
    desiredVersion: 0,
    recovering: true,
    bisect: undefined,
    split: 0,
    cursors: [],
    reset: { lanes: false, bisect: false, quota: false },
    inflight: [],
    retry: [],
    retryAt: 0,
    nextSeq: 1,
    lastAttemptTs: 0,
    lastSuccessTs: undefined,
    lastError: undefined,
    sentRecords: 0,
    sentBatches: 0,
    batchTarget: initialBatchSize(cfg.sizer),
    backoff: BACKOFF_RESET,
    roundWaitMs: cfg.lingerMs,
  };
}

/** One batch on the wire while recovering or isolating a refused record; `maxInFlight` otherwise. */
export function relayWindow(s: RelayState, cfg: RelayStepConfig): number {
  return s.recovering || s.bisect !== undefined ? 1 : cfg.maxInFlight;
}

/** The lanes in send order: safety events and audit, latest state, live telemetry, then the backlog. */
export function relayLanes(s: Pick<RelayState, 'split' | 'cursors'>): Lane[] {
  const lanes: Lane[] = [
    { priority: PRIORITY.safety, after: 0, upTo: ALL },
    { priority: PRIORITY.state, after: 0, upTo: ALL },
    { priority: PRIORITY.bulk, after: s.split, upTo: ALL },
  ];
  if (s.split > 0) lanes.push({ priority: PRIORITY.bulk, after: 0, upTo: s.split });
  return lanes.map((l, i) => ({ ...l, after: Math.max(l.after, s.cursors[i] ?? 0) }));
}

export function relayStep(state: RelayState, event: RelayEvent, cfg: RelayStepConfig): RelayStepResult {
  switch (event.kind) {
    case 'loaded':
      return { state: { ...state, desiredVersion: event.desiredVersion }, actions: [] };
    case 'round': {
      const full = state.inflight.length >= relayWindow(state, cfg);
      return fill({ ...state, roundWaitMs: full ? cfg.requestTimeoutMs : cfg.lingerMs }, event.now, cfg, []);
    }
    case 'lanes_reset':
      return fill(afterReset(state, event.lastId), event.now, cfg, []);
    case 'read':
      return onRead(state, event.result, event.now, cfg);
    case 'landed':
      return onLanded(state, event, cfg);
    case 'desired_applied':
      return { state: { ...state, desiredVersion: Math.max(state.desiredVersion, event.version) }, actions: [] };
    case 'over_quota':
      if (state.reset.quota) return { state, actions: [] };
      return { state: { ...state, reset: { ...state.reset, quota: true } }, actions: [{ kind: 'wake' }] };
    case 'local_error': {
      const b = nextBackoff(state.backoff, cfg.backoffBaseMs, cfg.backoffMaxMs, event.random);
      return {
        state: { ...state, lastError: event.message, backoff: b.backoff },
        actions: [{ kind: 'wait', ms: b.waitMs, landing: false }],
      };
    }
  }
}

/** Fills the window (retries first, in order); ends with a read, a reset of the lanes, or a wait. */
function fill(s: RelayState, now: number, cfg: RelayStepConfig, actions: RelayAction[]): RelayStepResult {
  let waitMs = s.roundWaitMs;
  while (s.inflight.length < relayWindow(s, cfg)) {
    const dropRetries = s.reset.bisect || s.reset.quota;
    if (s.retry.length > 0 && !dropRetries) {
      const wait = s.retryAt - now;
      if (wait > 0) {
        waitMs = wait;
        break;
      }
      const [seq, ...rest] = s.retry as [number, ...number[]];
      s = { ...s, retry: rest, inflight: [...s.inflight, seq], lastAttemptTs: now };
      actions.push({ kind: 'launch', seq, source: 'retry' });
      continue;
    }
    if (s.reset.lanes || s.reset.bisect || s.reset.quota) {
      if (s.inflight.length > 0) break; // the lanes change once nothing read under the old ones is on the wire
      // Dropped retries: their rows are read again with the rest.
      if (dropRetries) s = { ...s, retry: [] };
      actions.push({ kind: 'reset_lanes', quota: s.reset.quota, lastId: s.reset.lanes });
      return { state: s, actions };
    }
    if (s.retryAt > now) {
      waitMs = s.retryAt - now;
      break;
    }
    actions.push({ kind: 'read', lanes: relayLanes(s), limit: readLimit(s) });
    return { state: s, actions };
  }
  actions.push({ kind: 'wait', ms: waitMs, landing: s.inflight.length > 0 });
  return { state: s, actions };
}

function readLimit(s: RelayState): number {
  return Math.min(s.bisect ?? s.batchTarget, s.batchTarget);
}

/** Back after an outage (or a restart): what is queued now is backlog; newer telemetry is live and goes first. */
function afterReset(s: RelayState, lastId: number | undefined): RelayState {
  const lanes = s.reset.lanes && lastId !== undefined;
  return {
    ...s,
    split: lanes ? Math.max(s.split, lastId) : s.split,
    recovering: lanes ? false : s.recovering,
    cursors: [],
    reset: { lanes: false, bisect: false, quota: false },
  };
}

/** The next batch past the cursors, an empty heartbeat when idle, or a wait before asking again. */
function onRead(s: RelayState, r: ReadResult, now: number, cfg: RelayStepConfig): RelayStepResult {
  if (r.ready && r.waitMs === 0) {
    const limit = readLimit(s);
    const seq = s.nextSeq;
    s = { ...s, cursors: r.laneLast, nextSeq: seq + 1, inflight: [...s.inflight, seq], lastAttemptTs: now };
    const actions: RelayAction[] = [{ kind: 'launch', seq, source: 'read' }];
    // Read the one after it while this one is on the wire (not while isolating a refused record).
    if (s.bisect === undefined) actions.push({ kind: 'read_ahead', lanes: relayLanes(s), limit });
    return fill(s, now, cfg, actions);
  }
  if (r.count === 0 && s.inflight.length === 0 && now - s.lastAttemptTs >= cfg.idleSyncMs) {
    // Nothing queued: an empty batch still goes now and then, as the heartbeat and for the downlink.
    const seq = s.nextSeq;
    s = { ...s, nextSeq: seq + 1, inflight: [...s.inflight, seq], lastAttemptTs: now };
    return fill(s, now, cfg, [{ kind: 'launch', seq, source: 'heartbeat' }]);
  }
  const waitMs = Math.min(r.waitMs || cfg.lingerMs, cfg.lingerMs);
  return { state: s, actions: [{ kind: 'wait', ms: waitMs, landing: s.inflight.length > 0 }] };
}

type Landed<K extends SendOutcome['kind']> = Extract<RelayEvent, { kind: 'landed' }> & { outcome: Extract<SendOutcome, { kind: K }> };

function onLanded(s: RelayState, e: Extract<RelayEvent, { kind: 'landed' }>, cfg: RelayStepConfig): RelayStepResult {
  s = { ...s, inflight: s.inflight.filter((q) => q !== e.seq) };
  const kind = e.outcome.kind;
  if (kind === 'ok') return onDelivered(s, e as Landed<'ok'>, cfg);
  if (kind === 'rejected') {
    if (e.records > 0) return onRejected(s, e as Landed<'rejected'>, cfg);
    // An empty batch (the heartbeat) has no record to blame: the envelope itself is refused.
    const { status, code, detail } = (e as Landed<'rejected'>).outcome;
    return onFailure(s, { ...e, outcome: { kind: 'refused', status, code, detail } }, cfg);
  }
  return onFailure(s, e as Landed<'busy' | 'unauthorized' | 'refused' | 'network'>, cfg);
}

function onDelivered(s: RelayState, e: Landed<'ok'>, cfg: RelayStepConfig): RelayStepResult {
  const o = e.outcome;
  // Ack-then-delete: the driver deletes the rows while the next batches go (the cursors keep them out).
  const actions: RelayAction[] = [{ kind: 'ack', seq: e.seq }];
  if (s.link !== 'up') {
    actions.push({ kind: 'log', level: 'info', msg: 'relay: cloud link up', data: { afterFailures: s.backoff.failures } });
  }
  s = {
    ...s,
    sentRecords: s.sentRecords + e.records,
    sentBatches: s.sentBatches + 1,
    batchTarget: sizeAfterSuccess(s.batchTarget, cfg.sizer, e.records, e.latencyMs),
    backoff: BACKOFF_RESET,
    retryAt: 0,
    // (a batch read before the refused one says nothing about it)
    bisect: s.reset.bisect ? s.bisect : undefined,
    lastSuccessTs: e.now,
    link: 'up',
    reset: s.recovering ? { ...s.reset, lanes: true } : s.reset,
  };
  if (o.invalidReply) {
    actions.push({
      kind: 'log',
      level: 'warn',
      msg: 'relay: 2xx with an invalid reply (batch delivered)',
      data: { reason: o.invalidReply },
    });
  }
  const desired = o.reply?.desired;
  if (desired && desired.version > s.desiredVersion) actions.push({ kind: 'apply_desired', desired });
  const alarms = o.reply?.alarms;
  if (alarms && alarms.length > 0) actions.push({ kind: 'apply_alarms', alarms });
  actions.push({ kind: 'report_drops' });
  return { state: s, actions };
}

/**
 * The cloud says the batch is too large, or names a record of it (transport.ts `refusal`): halve
 * until one record is isolated, then dead-letter it. Never for a refusal of the envelope (`refused`).
 */
function onRejected(s: RelayState, e: Landed<'rejected'>, cfg: RelayStepConfig): RelayStepResult {
  const o = e.outcome;
  s = {
    ...s,
    lastError: `HTTP ${o.status}: ${o.detail.slice(0, 200)}`,
    // Too big for the cloud: stay smaller from now on.
    batchTarget: o.tooLarge ? shrunk(s.batchTarget, cfg.sizer) : s.batchTarget,
  };
  if (e.records > 1) {
    return { state: { ...s, bisect: Math.max(1, Math.floor(e.records / 2)), reset: { ...s.reset, bisect: true } }, actions: [] };
  }
  const code = o.code ?? (o.tooLarge ? 'SV_ERR_PAYLOAD_TOO_LARGE' : 'SV_ERR_PAYLOAD_INVALID');
  return { state: { ...s, bisect: undefined }, actions: [{ kind: 'dead_letter', seq: e.seq, status: o.status, code }] };
}

function onFailure(s: RelayState, e: Landed<'busy' | 'unauthorized' | 'refused' | 'network'>, cfg: RelayStepConfig): RelayStepResult {
  const o = e.outcome;
  const retryAfterMs = o.kind === 'busy' ? o.retryAfterMs : undefined;
  const throttled = o.kind === 'busy' && (o.status === 429 || o.status === 503);
  const b = nextBackoff(s.backoff, cfg.backoffBaseMs, cfg.backoffMaxMs, e.random, retryAfterMs);
  const link: LinkState =
    o.kind === 'unauthorized' ? 'unauthorized' : o.kind === 'refused' ? 'refused' : throttled ? 'throttled' : 'retrying';
  // A refusal keeps the cloud's words (its code and the fields it names) for the operator.
  const lastError =
    o.kind === 'network' ? o.error : o.kind === 'refused' ? `HTTP ${o.status}: ${o.detail.slice(0, 200)}` : `HTTP ${o.status}`;
  // Resent unchanged, in send order: the same batch id and records, so whatever the cloud committed is a no-op.
  const keep = e.records > 0 && !s.reset.bisect;
  s = {
    ...s,
    link,
    lastError,
    recovering: true,
    reset: { ...s.reset, lanes: false }, // the split is taken at the next success
    batchTarget: shrunk(s.batchTarget, cfg.sizer),
    retry: keep ? [...s.retry, e.seq].sort((a, b) => a - b) : s.retry,
    backoff: b.backoff,
    retryAt: Math.max(s.retryAt, e.now + b.waitMs),
  };
  const failures = b.backoff.failures;
  const actions: RelayAction[] = [];
  if (failures === 1 || failures % 20 === 0) {
    actions.push({
      kind: 'log',
      level: link === 'refused' ? 'error' : 'warn',
      msg: 'relay: batch not delivered',
      data: { state: link, error: lastError, waitMs: Math.round(b.waitMs), failures },
    });
  }
  return { state: s, actions };
}
