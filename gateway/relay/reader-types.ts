/** Messages between the relay and its reader thread (plain data, structured clone). */
export interface Lane {
  priority: number;
  /** Exclusive lower bound and inclusive upper bound of outbox ids. */
  after: number;
  upTo: number;
}

export type ReaderRequest =
  | { id: number; op: 'read'; lanes: Lane[]; maxRecords: number; maxBytes: number; lingerMs: number; head: string }
  | { id: number; op: 'stats' }
  /** The highest outbox id assigned so far (where the backlog lane ends after an outage). */
  | { id: number; op: 'lastId' }
  /** What the relay kept across restarts (store/relay-state.ts). */
  | { id: number; op: 'relayState' };

export interface ReadReply {
  count: number;
  /** > 0: nothing to send yet (empty, or a partial batch still lingering); ask again after this. */
  waitMs: number;
  /** Records taken from each lane, in lane order. */
  lanes: number[];
  /** Per lane, the last id taken (or the lane's `after` when none): where the next batch starts. */
  laneLast: number[];
  /** Highest outbox id assigned when the batch was read. */
  lastId: number;
  ids?: Float64Array;
  /** The gzipped JSON batch. */
  body?: Uint8Array;
  rawBytes?: number;
}

export interface StatsReply {
  rows: { priority: number; n: number; b: number; oldest: number | null }[];
  /** Highest outbox id ever assigned (AUTOINCREMENT sequence). */
  lastId: number;
  at: number;
  ms?: number;
}
