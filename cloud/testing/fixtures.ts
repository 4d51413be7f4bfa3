import { randomBytes } from 'node:crypto';
import type { RelayBatch, RelayRecord } from '../../shared/relay/batch.js';

/** Builders of relay batches and records for the cloud's tests and benchmark. */
export const T0 = 1_763_798_400_000;

export function uid(prefix = 'r'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

export function telemetry(deviceId: string, boot: number, seq: number, extra: Partial<Extract<RelayRecord, { kind: 'telemetry' }>> = {}) {
  return {
    kind: 'telemetry' as const,
    deviceId,
    boot,
    seq,
    ts: T0 + seq * 1000,
    rxTs: T0 + seq * 1000 + 5,
    tempC: 55 + (seq % 10) / 10,
    sensor: 'ok' as const,
    heater: seq % 2 === 0,
    rssi: -60,
    ...extra,
  };
}

export function event(deviceId: string | null, extra: Partial<Extract<RelayRecord, { kind: 'event' }>> = {}) {
  return {
    kind: 'event' as const,
    id: uid('ev'),
    deviceId,
    type: 'reached',
    severity: 'info' as const,
    ts: T0,
    safety: false,
    data: { targetC: 56 },
    ...extra,
  };
}

/** An alarm in its whole state (shared/alarms/lifecycle.ts), open unless `extra` says otherwise. */
export function alarm(deviceId: string | null, extra: Partial<Extract<RelayRecord, { kind: 'alarm' }>> = {}) {
  return {
    kind: 'alarm' as const,
    id: uid('ev'),
    deviceId,
    type: 'over_temp',
    severity: 'critical' as const,
    raisedAt: T0,
    text: 'The water is too hot (97.0 °C, limit 95.0 °C): the heater was switched off.',
    acknowledgedBy: null,
    acknowledgedAt: null,
    note: null,
    clearedAt: null,
    how: null,
    ...extra,
  };
}

export function audit(deviceId: string | null, extra: Partial<Extract<RelayRecord, { kind: 'audit' }>> = {}) {
  return {
    kind: 'audit' as const,
    id: uid('au'),
    ts: T0,
    actor: { type: 'engine' as const },
    deviceId,
    action: 'press',
    reason: 'below target',
    data: {},
    ...extra,
  };
}

export function status(deviceId: string, state: 'online' | 'offline', boot: number, rxTs: number) {
  return { kind: 'status' as const, id: uid('st'), deviceId, state, boot, fw: '1.0.0', rxTs };
}

export function commandResult(deviceId: string) {
  return {
    kind: 'command_result' as const,
    id: uid('c'),
    deviceId,
    op: 'press' as const,
    expect: 'on' as const,
    issuedTs: T0,
    ackTs: T0 + 300,
    outcome: 'acked' as const,
    heater: true,
    attempts: 1,
  };
}

export function cook(deviceId: string, version = 1) {
  return {
    kind: 'cook' as const,
    id: uid('ck'),
    deviceId,
    version,
    state: 'heating' as const,
    spec: { targetC: 56.5, durationMin: 120 },
    startedTs: T0,
    updatedTs: T0,
  };
}

export function batch(records: RelayRecord[], desiredVersion = 0): RelayBatch {
  return {
    v: 1,
    batchId: uid('b'),
    sentAt: T0 + 10_000,
    desiredVersion,
    backlog: { records: 0, bytes: 0, oldestAgeMs: null, dropped: {} },
    records,
  };
}

/** A batch of `n` telemetry records spread over `devices` devices (seq from `seq0`). */
export function telemetryBatch(prefix: string, devices: number, n: number, seq0 = 0, boot = 1): RelayBatch {
  const records: RelayRecord[] = [];
  for (let i = 0; i < n; i++) records.push(telemetry(`${prefix}-${i % devices}`, boot, seq0 + Math.floor(i / devices)));
  return batch(records);
}

export function registry(added: string[], revoked: string[] = []) {
  return { kind: 'registry' as const, id: uid('reg'), ts: T0, added, revoked };
}
