import t from 'tap';
import { PRIORITY } from '../store/items.js';
import {
  initialRelayState,
  type RelayAction,
  type RelayEvent,
  type RelayState,
  type RelayStepConfig,
  relayLanes,
  relayStep,
} from './relay-step.js';
import { refusal, type SendOutcome } from './transport.js';

/** The relay's decisions, table by table: state + event → state + actions, no I/O, no clock. */
const CFG: RelayStepConfig = {
  maxInFlight: 2,
  lingerMs: 50,
  idleSyncMs: 1000,
  requestTimeoutMs: 5000,
  backoffBaseMs: 100,
  backoffMaxMs: 10_000,
  sizer: { min: 10, max: 4000, targetLatencyMs: 1000 },
};
const NOW = 1_000_000;
const ALL = Number.MAX_SAFE_INTEGER;

/** A state past recovery (full window), with overrides. */
function state(over: Partial<RelayState> = {}): RelayState {
  return { ...initialRelayState(CFG), recovering: false, link: 'up', ...over };
}
const kinds = (actions: RelayAction[]) => actions.map((a) => a.kind);
const landed = (seq: number, records: number, outcome: SendOutcome, over: Partial<RelayEvent> = {}): RelayEvent =>
  ({ kind: 'landed', seq, records, outcome, latencyMs: 100, now: NOW, random: 0.5, ...over }) as RelayEvent;
const ok: SendOutcome = { kind: 'ok', status: 200, reply: undefined };
const read = (over: Partial<{ count: number; waitMs: number; laneLast: number[]; ready: boolean }> = {}): RelayEvent => ({
  kind: 'read',
  result: { count: 10, waitMs: 0, laneLast: [5, 6, 7], ready: true, ...over },
  now: NOW,
});

t.test('initial state: starting, recovering (one batch at a time), batch size 500 within limits', async (t) => {
  const s = initialRelayState(CFG);
  t.equal(s.link, 'starting');
  t.equal(s.recovering, true);
  t.equal(s.batchTarget, 500);
  t.same(initialRelayState({ ...CFG, sizer: { min: 10, max: 200, targetLatencyMs: 1000 } }).batchTarget, 200);
});

t.test('lanes: safety, state, live telemetry after the split, then the backlog up to it; cursors move each lane', async (t) => {
  t.same(relayLanes({ split: 0, cursors: [] }), [
    { priority: PRIORITY.safety, after: 0, upTo: ALL },
    { priority: PRIORITY.state, after: 0, upTo: ALL },
    { priority: PRIORITY.bulk, after: 0, upTo: ALL },
  ]);
  t.same(relayLanes({ split: 100, cursors: [3, 0, 150, 40] }), [
    { priority: PRIORITY.safety, after: 3, upTo: ALL },
    { priority: PRIORITY.state, after: 0, upTo: ALL },
    { priority: PRIORITY.bulk, after: 150, upTo: ALL },
    { priority: PRIORITY.bulk, after: 40, upTo: 100 },
  ]);
  t.same(
    relayLanes({ split: 100, cursors: [0, 0, 20] })[2],
    { priority: PRIORITY.bulk, after: 100, upTo: ALL },
    'live starts past the split',
  );
});

t.test('round: what fills the window', async (t) => {
  const cases: { name: string; s: Partial<RelayState>; want: RelayAction[]; after?: Partial<RelayState> }[] = [
    {
      name: 'room in the window: read at the batch target',
      s: {},
      want: [{ kind: 'read', lanes: relayLanes({ split: 0, cursors: [] }), limit: 500 }],
    },
    {
      name: 'isolating a refused record: read the bisect size',
      s: { bisect: 3 },
      want: [{ kind: 'read', lanes: relayLanes({ split: 0, cursors: [] }), limit: 3 }],
    },
    {
      name: 'window full: wait for a landing up to the request timeout',
      s: { inflight: [1, 2] },
      want: [{ kind: 'wait', ms: 5000, landing: true }],
    },
    {
      name: 'recovering: the window is one batch',
      s: { recovering: true, inflight: [1] },
      want: [{ kind: 'wait', ms: 5000, landing: true }],
    },
    {
      name: 'a retry not due yet: wait until it is',
      s: { retry: [4], retryAt: NOW + 300 },
      want: [{ kind: 'wait', ms: 300, landing: false }],
    },
    {
      name: 'retries due go first, in order, then a read',
      s: { retry: [4], retryAt: NOW - 1 },
      want: [
        { kind: 'launch', seq: 4, source: 'retry' },
        { kind: 'read', lanes: relayLanes({ split: 0, cursors: [] }), limit: 500 },
      ],
      after: { retry: [], inflight: [4], lastAttemptTs: NOW },
    },
    {
      name: 'backing off with nothing to retry: wait, no read',
      s: { retryAt: NOW + 80 },
      want: [{ kind: 'wait', ms: 80, landing: false }],
    },
    {
      name: 'a reset waits until nothing is on the wire',
      s: { reset: { lanes: true, bisect: false, quota: false }, inflight: [7] },
      want: [{ kind: 'wait', ms: 50, landing: true }],
    },
    {
      name: 'new lanes: nothing on the wire, reset asking for the last id',
      s: { reset: { lanes: true, bisect: false, quota: false } },
      want: [{ kind: 'reset_lanes', quota: false, lastId: true }],
    },
    {
      name: 'new lanes: due retries go first, then the reset waits for them',
      s: { reset: { lanes: true, bisect: false, quota: false }, retry: [3], retryAt: NOW - 1 },
      want: [
        { kind: 'launch', seq: 3, source: 'retry' },
        { kind: 'wait', ms: 50, landing: true },
      ],
    },
    {
      name: 'over quota: retries are dropped (read again with the rest), then evict',
      s: { reset: { lanes: false, bisect: false, quota: true }, retry: [3, 5] },
      want: [{ kind: 'reset_lanes', quota: true, lastId: false }],
      after: { retry: [] },
    },
    {
      name: 'after a refused batch: retries dropped, re-read in halves',
      s: { reset: { lanes: false, bisect: true, quota: false }, bisect: 4, retry: [2] },
      want: [{ kind: 'reset_lanes', quota: false, lastId: false }],
      after: { retry: [] },
    },
  ];
  for (const c of cases) {
    const r = relayStep(state(c.s), { kind: 'round', now: NOW }, CFG);
    t.same(r.actions, c.want, c.name);
    if (c.after) t.match(r.state, c.after, `${c.name} (state)`);
  }
});

t.test('lanes_reset: a new split after an outage, the cursors back to the start', async (t) => {
  const s = state({ recovering: true, split: 10, cursors: [4, 4, 4], reset: { lanes: true, bisect: false, quota: true } });
  const r = relayStep(s, { kind: 'lanes_reset', lastId: 90, now: NOW }, CFG);
  t.match(r.state, { split: 90, recovering: false, cursors: [], reset: { lanes: false, bisect: false, quota: false } });
  t.same(r.actions, [{ kind: 'read', lanes: relayLanes({ split: 90, cursors: [] }), limit: 500 }], 'then reads under the new lanes');
  const kept = relayStep(
    state({ split: 50, reset: { lanes: false, bisect: false, quota: true } }),
    { kind: 'lanes_reset', lastId: undefined, now: NOW },
    CFG,
  );
  t.equal(kept.state.split, 50, 'a quota reset keeps the split');
  t.equal(
    relayStep(state({ split: 50, reset: { lanes: true, bisect: false, quota: false } }), { kind: 'lanes_reset', lastId: 20, now: NOW }, CFG)
      .state.split,
    50,
    'the split never goes back',
  );
});

t.test('read: a batch is launched and the next one read ahead; nothing queued sends a heartbeat when idle', async (t) => {
  const cases: { name: string; s: Partial<RelayState>; e: RelayEvent; want: string[]; after: Partial<RelayState> }[] = [
    {
      name: 'a batch: launch, read ahead from the new cursors, fill on (second slot)',
      s: { nextSeq: 3 },
      e: read(),
      want: ['launch', 'read_ahead', 'read'],
      after: { cursors: [5, 6, 7], nextSeq: 4, inflight: [3], lastAttemptTs: NOW },
    },
    {
      name: 'isolating a record: no read ahead, and the window is one',
      s: { bisect: 1 },
      e: read(),
      want: ['launch', 'wait'],
      after: { inflight: [1] },
    },
    {
      name: 'lingering partial batch: wait as told',
      s: {},
      e: read({ ready: false, waitMs: 20, count: 3 }),
      want: ['wait'],
      after: { inflight: [], cursors: [] },
    },
    {
      name: 'empty and idle for idleSyncMs: an empty batch goes (heartbeat, downlink)',
      s: { lastAttemptTs: NOW - 1000 },
      e: read({ ready: false, waitMs: 50, count: 0 }),
      want: ['launch', 'read'],
      after: { inflight: [1], lastAttemptTs: NOW },
    },
    {
      name: 'empty, but a batch was sent recently: wait',
      s: { lastAttemptTs: NOW - 10 },
      e: read({ ready: false, waitMs: 0, count: 0 }),
      want: ['wait'],
      after: { inflight: [] },
    },
    {
      name: 'empty, but a batch is on the wire: no heartbeat',
      s: { inflight: [9], lastAttemptTs: 0 },
      e: read({ ready: false, waitMs: 50, count: 0 }),
      want: ['wait'],
      after: { inflight: [9] },
    },
  ];
  for (const c of cases) {
    const r = relayStep(state(c.s), c.e, CFG);
    t.same(kinds(r.actions), c.want, c.name);
    t.match(r.state, c.after, `${c.name} (state)`);
  }
  const r = relayStep(state({ nextSeq: 3 }), read(), CFG);
  t.same(
    r.actions[1],
    { kind: 'read_ahead', lanes: relayLanes({ split: 0, cursors: [5, 6, 7] }), limit: 500 },
    'read ahead past the new cursors',
  );
  t.same(
    relayStep(state(), read({ ready: false, waitMs: 0, count: 3 }), CFG).actions,
    [{ kind: 'wait', ms: 50, landing: false }],
    'waits at most the linger',
  );
});

t.test('landed 2xx: ack, link up, backoff reset, new lanes after an outage, desired state when newer', async (t) => {
  const desired = { version: 7, devices: [] };
  const cases: { name: string; s: Partial<RelayState>; e: RelayEvent; want: string[]; after: Partial<RelayState> }[] = [
    {
      name: 'delivered while up: ack, count, grow the batch (full batch, fast answer)',
      s: { inflight: [1], batchTarget: 100 },
      e: landed(1, 100, ok),
      want: ['ack', 'report_drops'],
      after: { inflight: [], sentRecords: 100, sentBatches: 1, batchTarget: 200, lastSuccessTs: NOW, link: 'up' },
    },
    {
      name: 'first success after an outage: link up (logged), backoff reset, retry time cleared, new lanes',
      s: { link: 'retrying', recovering: true, inflight: [2], backoff: { previous: 800, failures: 4 }, retryAt: NOW + 100 },
      e: landed(2, 10, ok),
      want: ['ack', 'log', 'report_drops'],
      after: { link: 'up', backoff: { previous: 0, failures: 0 }, retryAt: 0, reset: { lanes: true, bisect: false, quota: false } },
    },
    {
      name: 'a slow answer shrinks the batch',
      s: { inflight: [1], batchTarget: 100 },
      e: landed(1, 100, ok, { latencyMs: 2000 }),
      want: ['ack', 'report_drops'],
      after: { batchTarget: 50 },
    },
    {
      name: 'a newer desired state is applied',
      s: { inflight: [1], desiredVersion: 6 },
      e: landed(1, 1, { kind: 'ok', status: 200, reply: { v: 1, desired } as never }),
      want: ['ack', 'apply_desired', 'report_drops'],
      after: { desiredVersion: 6 },
    },
    {
      name: 'an old desired state is not applied again',
      s: { inflight: [1], desiredVersion: 7 },
      e: landed(1, 1, { kind: 'ok', status: 200, reply: { v: 1, desired } as never }),
      want: ['ack', 'report_drops'],
      after: { desiredVersion: 7 },
    },
    {
      name: 'alarms acknowledged in the cloud are applied with every reply that carries them (no version kept)',
      s: { inflight: [1], desiredVersion: 7 },
      e: landed(1, 1, { kind: 'ok', status: 200, reply: { v: 1, desired: null, alarms: [{ id: 'ev-1' }] } as never }),
      want: ['ack', 'apply_alarms', 'report_drops'],
      after: { desiredVersion: 7 },
    },
    {
      name: 'an invalid reply to a delivered batch is only logged',
      s: { inflight: [1] },
      e: landed(1, 1, { kind: 'ok', status: 200, reply: undefined, invalidReply: 'bad' }),
      want: ['ack', 'log', 'report_drops'],
      after: { sentBatches: 1 },
    },
    {
      name: 'a batch read before a refused one clears nothing of the bisection',
      s: { inflight: [1], bisect: 4, reset: { lanes: false, bisect: true, quota: false } },
      e: landed(1, 1, ok),
      want: ['ack', 'report_drops'],
      after: { bisect: 4 },
    },
  ];
  for (const c of cases) {
    const r = relayStep(state(c.s), c.e, CFG);
    t.same(kinds(r.actions), c.want, c.name);
    t.match(r.state, c.after, `${c.name} (state)`);
  }
  t.equal(relayStep(state({ desiredVersion: 3 }), { kind: 'desired_applied', version: 7 }, CFG).state.desiredVersion, 7);
  t.equal(relayStep(state({ desiredVersion: 9 }), { kind: 'desired_applied', version: 7 }, CFG).state.desiredVersion, 9, 'never goes back');
});

t.test('landed rejected (too large, or a record named): halve until one record, then dead-letter it', async (t) => {
  const named = 'SV_ERR_PAYLOAD_INVALID: body.records.3.tempC: too big';
  const r1 = relayStep(
    state({ inflight: [1] }),
    landed(1, 9, { kind: 'rejected', status: 422, code: 'SV_ERR_PAYLOAD_INVALID', detail: named, tooLarge: false }),
    CFG,
  );
  t.same(r1.actions, []);
  t.match(r1.state, { bisect: 4, reset: { bisect: true }, lastError: `HTTP 422: ${named}`, inflight: [], batchTarget: 500 });
  const r2 = relayStep(
    state({ inflight: [1], bisect: 1, batchTarget: 400 }),
    landed(1, 1, { kind: 'rejected', status: 413, code: 'SV_ERR_BODY_TOO_LARGE', detail: 'big', tooLarge: true }),
    CFG,
  );
  t.same(r2.actions, [{ kind: 'dead_letter', seq: 1, status: 413, code: 'SV_ERR_BODY_TOO_LARGE' }]);
  t.match(r2.state, { bisect: undefined, batchTarget: 200 }, 'too large keeps the batches smaller');
  const r3 = relayStep(
    state({ inflight: [1] }),
    landed(1, 1, { kind: 'rejected', status: 413, code: undefined, detail: 'proxy', tooLarge: true }),
    CFG,
  );
  t.same(
    r3.actions,
    [{ kind: 'dead_letter', seq: 1, status: 413, code: 'SV_ERR_PAYLOAD_TOO_LARGE' }],
    "a proxy's 413 has no code: named as too large",
  );
});

t.test('landed refused (the envelope): nothing bisected or dead-lettered; kept, backed off, link refused', async (t) => {
  const detail = 'SV_ERR_PAYLOAD_INVALID: body.v: Invalid literal value, expected 2';
  const r = relayStep(
    state({ inflight: [1], batchTarget: 400 }),
    landed(1, 9, { kind: 'refused', status: 400, code: 'SV_ERR_PAYLOAD_INVALID', detail }),
    CFG,
  );
  t.notOk(
    r.actions.some((a) => a.kind === 'dead_letter'),
    'no dead letter',
  );
  t.match(r.state, {
    link: 'refused',
    lastError: `HTTP 400: ${detail}`,
    bisect: undefined,
    retry: [1],
    recovering: true,
    retryAt: NOW + 100,
  });
  t.same(r.state.reset, { lanes: false, bisect: false, quota: false }, 'no bisection pending');
  t.match(r.actions, [{ kind: 'log', level: 'error', data: { state: 'refused' } }], 'an error the operator sees');
  // The empty heartbeat refused for being too large (a body limit under the envelope): no record to blame.
  const hb = relayStep(
    state({ inflight: [2] }),
    landed(2, 0, { kind: 'rejected', status: 413, code: 'SV_ERR_BODY_TOO_LARGE', detail: 'x', tooLarge: true }),
    CFG,
  );
  t.same(kinds(hb.actions), ['log'], 'a heartbeat refused is never dead-lettered');
  t.match(hb.state, { link: 'refused', retry: [], bisect: undefined });
});

t.test("refusal: told apart by the cloud's answer", async (t) => {
  const body = (code: string, details: string[]) => JSON.stringify({ error: { code, message: 'm', details } });
  const cases: [string, number, string, Partial<SendOutcome>][] = [
    [
      'the envelope (relay version)',
      400,
      body('SV_ERR_PAYLOAD_INVALID', ['body.v: Invalid literal value, expected 2']),
      { kind: 'refused', code: 'SV_ERR_PAYLOAD_INVALID' },
    ],
    ["a proxy's 400 page", 400, '<html>400 Bad Request</html>', { kind: 'refused', code: undefined }],
    ['a 422 without a record named', 422, body('SV_ERR_VALIDATION', ['body: something']), { kind: 'refused' }],
    [
      'too many records (the envelope)',
      400,
      body('SV_ERR_PAYLOAD_INVALID', ['body.records: Array must contain at most 20000 element(s)']),
      { kind: 'refused' },
    ],
    [
      "the cloud's body limit",
      413,
      body('SV_ERR_BODY_TOO_LARGE', ['body: larger than the body limit']),
      { kind: 'rejected', tooLarge: true, code: 'SV_ERR_BODY_TOO_LARGE' },
    ],
    ["a proxy's 413", 413, '<html>413</html>', { kind: 'rejected', tooLarge: true, code: undefined }],
    ['too large as a 400 code', 400, body('SV_ERR_PAYLOAD_TOO_LARGE', []), { kind: 'rejected', tooLarge: true }],
    [
      'a record named',
      400,
      body('SV_ERR_PAYLOAD_INVALID', ['body.records.12.tempC: Number must be at most 150']),
      { kind: 'rejected', tooLarge: false },
    ],
  ];
  for (const [name, status, text, want] of cases) t.match(refusal(status, text), { status, ...want }, name);
});

t.test('landed failure: link state, retry in send order, backoff with jitter and Retry-After as a floor', async (t) => {
  const cases: { name: string; s: Partial<RelayState>; e: RelayEvent; after: Partial<RelayState>; logged: boolean }[] = [
    {
      name: 'network error: retrying, kept for a retry',
      s: { inflight: [3, 4], batchTarget: 400 },
      e: landed(4, 10, { kind: 'network', error: 'ECONNREFUSED' }),
      after: {
        link: 'retrying',
        lastError: 'ECONNREFUSED',
        retry: [4],
        inflight: [3],
        recovering: true,
        batchTarget: 200,
        retryAt: NOW + 100,
      },
      logged: true,
    },
    {
      name: '503 with Retry-After: throttled, the wait is at least the server’s',
      s: { inflight: [3] },
      e: landed(3, 10, { kind: 'busy', status: 503, retryAfterMs: 2000 }),
      after: { link: 'throttled', lastError: 'HTTP 503', retryAt: NOW + 2000 },
      logged: true,
    },
    {
      name: '500: retrying (not throttled)',
      s: { inflight: [3] },
      e: landed(3, 10, { kind: 'busy', status: 500, retryAfterMs: undefined }),
      after: { link: 'retrying', lastError: 'HTTP 500' },
      logged: true,
    },
    {
      name: '401: unauthorized',
      s: { inflight: [3] },
      e: landed(3, 10, { kind: 'unauthorized', status: 401 }),
      after: { link: 'unauthorized', lastError: 'HTTP 401' },
      logged: true,
    },
    {
      name: 'retries stay in send order; the later failure does not log (not the 1st or 20th)',
      s: { inflight: [2], retry: [5], backoff: { previous: 100, failures: 1 } },
      e: landed(2, 10, { kind: 'network', error: 'x' }),
      after: { retry: [2, 5], backoff: { previous: 200, failures: 2 } },
      logged: false,
    },
    {
      name: 'an empty heartbeat is not retried',
      s: { inflight: [2] },
      e: landed(2, 0, { kind: 'network', error: 'x' }),
      after: { retry: [] },
      logged: true,
    },
    {
      name: 'while bisecting, a failed batch is not retried (it is read again)',
      s: { inflight: [2], reset: { lanes: true, bisect: true, quota: false } },
      e: landed(2, 5, { kind: 'network', error: 'x' }),
      after: { retry: [], reset: { lanes: false, bisect: true, quota: false } },
      logged: true,
    },
    {
      name: 'the retry time never moves earlier',
      s: { inflight: [2], retryAt: NOW + 9000 },
      e: landed(2, 5, { kind: 'network', error: 'x' }),
      after: { retryAt: NOW + 9000 },
      logged: true,
    },
  ];
  for (const c of cases) {
    const r = relayStep(state(c.s), c.e, CFG);
    t.match(r.state, c.after, c.name);
    t.equal(
      r.actions.some((a) => a.kind === 'log' && a.level === 'warn'),
      c.logged,
      `${c.name} (logged: ${c.logged})`,
    );
  }
  const twentieth = relayStep(
    state({ inflight: [1], backoff: { previous: 100, failures: 19 } }),
    landed(1, 1, { kind: 'network', error: 'x' }),
    CFG,
  );
  t.match(twentieth.actions, [{ kind: 'log', level: 'warn', data: { failures: 20 } }], 'every 20th failure is logged');
});

t.test('over quota: wakes the loop once; local error: back off', async (t) => {
  const r = relayStep(state(), { kind: 'over_quota' }, CFG);
  t.same(r.actions, [{ kind: 'wake' }]);
  t.equal(r.state.reset.quota, true);
  t.same(relayStep(r.state, { kind: 'over_quota' }, CFG).actions, [], 'already pending: no second wake');
  const e = relayStep(state(), { kind: 'local_error', message: 'reader gone', random: 0 }, CFG);
  t.same(e.actions, [{ kind: 'wait', ms: 100, landing: false }]);
  t.match(e.state, { lastError: 'reader gone', backoff: { failures: 1 } });
});

t.test('the step is pure: the input state is never changed', async (t) => {
  const s = state({ inflight: [1, 2], retry: [0], retryAt: NOW - 5 });
  const copy = structuredClone(s);
  relayStep(s, landed(1, 3, { kind: 'network', error: 'x' }), CFG);
  relayStep(s, { kind: 'round', now: NOW }, CFG);
  relayStep(s, read(), CFG);
  t.same(s, copy);
});
