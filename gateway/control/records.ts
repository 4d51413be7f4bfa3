import type { z } from 'zod';
import type { AuditRecord, EventRecord } from '../../shared/relay/batch.js';
import type { AuditIntent, ControlEvent } from './types.js';

/**
 * The engine and watchdog produce intents without ids or clocks; the gateway stamps them into the
 * relay's EventRecord / AuditRecord (shared/relay/batch.ts) with its own id generator.
 */
export function toEventRecord(e: ControlEvent, id: string, deviceId: string, ts: number): z.infer<typeof EventRecord> {
  return { kind: 'event', id, deviceId, type: e.type, severity: e.severity, ts, safety: e.safety, data: e.data };
}

export function toAuditRecord(a: AuditIntent, id: string, deviceId: string, ts: number): z.infer<typeof AuditRecord> {
  return { kind: 'audit', id, ts, actor: { type: a.actor }, deviceId, action: a.action, reason: a.reason.slice(0, 256), data: a.data };
}
