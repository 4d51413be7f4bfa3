import type { Alarm } from '../../shared/alarms/lifecycle.js';
import type { RelayBatch } from '../../shared/relay/batch.js';
import type { Audit, CommandResult, Cook, Event, MetaBatch, RegistryReport, Status, Telemetry } from '../stores/types.js';

/** A parsed batch sorted by sink: telemetry → Influx, telemetry + status → Redis, the rest (alarms too) → MySQL. */
export interface SplitBatch {
  telemetry: Telemetry[];
  status: Status[];
  meta: MetaBatch;
  /** The gateway's device registry reports, in batch order. */
  registry: RegistryReport[];
}

/** The device a record is about (null: none, e.g. a gateway-wide event or a registry report). */
export function deviceOf(r: RelayBatch['records'][number]): string | null {
  return r.kind === 'registry' ? null : r.deviceId;
}

export function splitBatch(batch: RelayBatch): SplitBatch {
  const telemetry: Telemetry[] = [];
  const status: Status[] = [];
  const events: Event[] = [];
  const audit: Audit[] = [];
  const commandResults: CommandResult[] = [];
  const cooks: Cook[] = [];
  const registry: RegistryReport[] = [];
  const alarms: Alarm[] = [];
  const devices = new Map<string, number>();
  const seen = (id: string | null, ts: number) => {
    if (id !== null) devices.set(id, Math.max(devices.get(id) ?? 0, ts));
  };
  for (const r of batch.records) {
    switch (r.kind) {
      case 'telemetry':
        telemetry.push(r);
        seen(r.deviceId, r.rxTs);
        break;
      case 'status':
        status.push(r);
        seen(r.deviceId, r.rxTs);
        break;
      case 'event':
        events.push(r);
        seen(r.deviceId, r.ts);
        break;
      case 'audit':
        audit.push(r);
        seen(r.deviceId, r.ts);
        break;
      case 'command_result':
        commandResults.push(r);
        seen(r.deviceId, r.ackTs ?? r.issuedTs);
        break;
      case 'cook':
        cooks.push(r);
        seen(r.deviceId, r.updatedTs);
        break;
      case 'registry':
        registry.push({ added: r.added, revoked: r.revoked, ts: r.ts });
        break;
      case 'alarm': {
        const { kind: _kind, ...alarm } = r;
        alarms.push(alarm);
        seen(r.deviceId, r.raisedAt);
        break;
      }
    }
  }
  return {
    telemetry,
    status,
    meta: { batchId: batch.batchId, sentAt: batch.sentAt, backlog: batch.backlog, devices, events, audit, commandResults, cooks, alarms },
    registry,
  };
}
