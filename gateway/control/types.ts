import type { SensorState } from '../../shared/protocol/messages.js';

/**
 * The control layer's vocabulary. Everything here is plain data: the engine and the watchdog are
 * pure functions over it, and the gateway turns decisions into PROTOCOL Commands, events into
 * EventRecords and audit intents into AuditRecords (see records.ts).
 */

/** The fields of one Telemetry message the control layer uses. */
export interface Reading {
  tempC: number | null;
  sensor: SensorState;
  /** The kit's belief (its last actuation), not the truth: a press can miss. */
  heater: boolean;
  /** Telemetry `boot`: a new boot resets the kit's belief without any press. */
  boot?: number;
}

/** What to send to the kit now. `press` toggles the cooker; `safe` makes sure it is off. */
export type Decision = { kind: 'none' } | { kind: 'press'; expect: 'on' | 'off'; reason: string } | { kind: 'safe'; reason: string };

export const NO_DECISION: Decision = Object.freeze({ kind: 'none' });

export type Severity = 'info' | 'warning' | 'alarm' | 'critical';

/** A control or safety event (shared/relay/batch.ts EventRecord without id/device/ts). */
export interface ControlEvent {
  type: string;
  severity: Severity;
  /** Safety events are never evicted by the disk quota. */
  safety: boolean;
  data: Record<string, unknown>;
}

/** What the audit log must record for an action (AuditRecord without id/device/ts). */
export interface AuditIntent {
  actor: 'engine' | 'watchdog';
  action: string;
  reason: string;
  data: Record<string, unknown>;
}

export interface StepResult<S> {
  state: S;
  decision: Decision;
  events: ControlEvent[];
  audit: AuditIntent[];
}

export function event(type: string, severity: Severity, safety: boolean, data: Record<string, unknown> = {}): ControlEvent {
  return { type, severity, safety, data };
}
