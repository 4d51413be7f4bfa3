import type { Ack, Alarm } from '../../shared/alarms/lifecycle.js';

/**
 * What the ingestion path asks the store's writer thread to commit. Plain data (structured clone
 * across the worker boundary); one array per group commit.
 */
export interface TelemetryItem {
  t: 'tel';
  deviceId: string;
  boot: number;
  seq: number;
  ts: number | null;
  rxTs: number;
  tempC: number | null;
  sensor: string;
  heater: boolean;
  rssi: number | undefined;
  /** The relay record (JSON) queued in the outbox with the row, when the relay is on. */
  outbox: string | null;
}

export interface StatusItem {
  t: 'status';
  deviceId: string;
  state: string;
  boot: number;
  fw: string | null;
  profile: string | null;
  rxTs: number;
  outbox: string | null;
}

export interface DeadLetterItem {
  t: 'dlq';
  deviceId: string | null;
  topic: string;
  code: string;
  reason: string;
  payload: Uint8Array;
  rxTs: number;
}

export interface SecurityItem {
  t: 'sec';
  ts: number;
  kind: string;
  deviceId: string | null;
  remote: string | null;
  detail: string;
}

/** Any other outbox record (events, audit, command results, cooks) with its priority lane. */
export interface OutboxItem {
  t: 'out';
  priority: number;
  kind: string;
  record: string;
  ts: number;
  /**
   * A gateway dead letter (topic `relay/outbox`) this record is replayed from: deleted in the same
   * commit, and the record is queued only if it was still there (a second replay queues nothing).
   */
  replayOf?: number;
}

/** An event (control, watchdog, relay) kept locally and queued for the cloud. */
export interface EventItem {
  t: 'event';
  id: string;
  deviceId: string | null;
  type: string;
  severity: string;
  safety: boolean;
  ts: number;
  data: string;
  /** The relay record (JSON), or null when the relay is off. */
  outbox: string | null;
  /** The notification the event causes, committed with it (gateway/notify/). */
  notify?: NotifyRows | null;
  /** The notifier's alarms this event changes (notified, ended, reminders), committed with it. */
  notified?: readonly NotifiedChange[] | null;
  /** The alarm the event raises (unless one of its kit and type is open) and the alarm types it clears. */
  alarm?: { raise: Alarm | null; clears: readonly string[] } | null;
}

/**
 * An alarm step from outside control: a person's acknowledgement here (`ack`), or the cloud's state
 * of an alarm from the downlink (`merge`). Outcome STORED when it changed the alarm.
 */
export interface AlarmItem {
  t: 'alarm';
  op: { kind: 'ack'; id: string; ack: Ack } | { kind: 'merge'; alarm: Alarm };
  /** Who, for the audit. */
  actor: { type: 'user' | 'cloud'; id?: string };
  /** Queue the alarm's state in the outbox (the relay is on). */
  relay: boolean;
}

/** An audit record: who, when, what, why. Never evicted. */
export interface AuditItem {
  t: 'audit';
  id: string;
  ts: number;
  actor: string;
  actorId: string | null;
  deviceId: string | null;
  action: string;
  reason: string;
  data: string;
  outbox: string | null;
}

/** The current cook of a device (upsert; state 'stopped' keeps the row for history). */
export interface CookItem {
  t: 'cook';
  deviceId: string;
  id: string;
  version: number;
  state: string;
  spec: string;
  startedTs: number;
  updatedTs: number;
  /** When the cook reached its target, and when it was done (wall clock; gateway-local, for a resume). */
  reachedTs: number | null;
  doneTs: number | null;
  outbox: string | null;
}

/**
 * The relay's own state (store/relay-state.ts), committed in order with the items written before
 * it: a desired-state version lands with or after the cooks its apply wrote.
 */
export interface RelayStateItem {
  t: 'relay';
  /** The desired-state version applied. */
  desiredVersion?: number;
  /** Records dropped, by reason: added to the totals and to the counts not yet reported. */
  dropped?: Record<string, number>;
  /** Outbox rows to delete with this commit (a record the cloud refused, dead-lettered before it). */
  ack?: number[];
  /** A `relay_drop` event queued in the outbox (priority 0) with the counts it reports, no longer pending. */
  report?: { record: string; ts: number; dropped: Record<string, number> };
}

/** A notification and one delivery row per configured channel (gateway/notify/). */
export interface NotifyRows {
  /** The idempotency key, sent to every channel. */
  id: string;
  deviceId: string | null;
  type: string;
  severity: string;
  ts: number;
  /** The notification as every channel carries it (JSON). */
  body: string;
  channels: string[];
}

/** What the notifier plans for an event: its notification, and the changes to its alarms (gateway/notify/). */
export interface NotifyPlan {
  rows: NotifyRows | null;
  notified: readonly NotifiedChange[];
}

/** A notification of its own (a reminder of an open alarm, a test). */
export interface NotifyItem extends NotifyRows {
  t: 'notify';
  /** The reminder's alarm with its new count and time. */
  notified?: readonly NotifiedChange[] | null;
}

/**
 * A change to the notifier's alarms that notified and are not over (table `notified_alarms`,
 * ADR 081): `notified` false deletes the kit's row of that type; else the row is written with
 * `open`, the reminders' state (JSON of an OpenAlarm), null when none are due (not critical, or
 * acknowledged).
 */
export interface NotifiedChange {
  deviceId: string | null;
  type: string;
  notified: boolean;
  open: string | null;
}

/** Changes to the notifier's alarms of their own (an acknowledgement ends reminders). */
export interface NotifiedItem {
  t: 'notified';
  changes: readonly NotifiedChange[];
}

export type StoreItem =
  | TelemetryItem
  | StatusItem
  | DeadLetterItem
  | SecurityItem
  | OutboxItem
  | EventItem
  | AuditItem
  | CookItem
  | RelayStateItem
  | NotifyItem
  | NotifiedItem
  | AlarmItem;

/** Per-item outcome, in the order the items were sent. */
export const STORED = 0;
export const DUPLICATE = 1;
export type ItemOutcome = typeof STORED | typeof DUPLICATE;

/** Outbox lanes: lower drains first (safety events and audit > latest state > bulk telemetry). */
export const PRIORITY = { safety: 0, state: 1, bulk: 2 } as const;

/**
 * The outbox lane of a relay record, as the writer queues each kind (writer-worker.ts, record-sink,
 * alarm-writer, registry-relay, relay-state): telemetry is bulk; status, cook records and events
 * that are not safety events are priority 1; everything else (safety events, drop reports, audit,
 * command results, alarms, the registry) is priority 0. For a dead letter replayed into the outbox.
 */
export function relayLaneOf(record: { kind: string; safety?: boolean; type?: string }): number {
  if (record.kind === 'telemetry') return PRIORITY.bulk;
  if (record.kind === 'status' || record.kind === 'cook') return PRIORITY.state;
  if (record.kind === 'event' && !record.safety && record.type !== 'relay_drop') return PRIORITY.state;
  return PRIORITY.safety;
}
