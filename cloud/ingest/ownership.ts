import { createHash } from 'node:crypto';
import type { RelayBatch } from '../../shared/relay/batch.js';
import { monotonicNow } from '../../shared/time/monotonic.js';
import type { AuditRow, DeadLetter, DeviceResolution, ForeignReason, MetaStore, RegistryReport } from '../stores/types.js';
import { PerGatewayDevices } from './per-gateway.js';
import { deviceOf } from './split.js';

const REASON: Record<ForeignReason, string> = {
  foreign: 'belongs to another gateway',
  revoked: 'was revoked by this gateway',
};

/**
 * Which devices of a batch its gateway may write for (docs/adr/027-tenancy.md). The meta store
 * decides; a short positive cache (the auth cache's TTL) spares it a round trip per batch for the
 * devices a gateway keeps reporting. A move or a revocation reaches another instance within the TTL.
 */
export class DeviceOwnership {
  /** Per gateway: device → until when it is known to be the gateway's. */
  private readonly owned = new PerGatewayDevices(100_000);
  constructor(
    private readonly meta: MetaStore,
    private readonly ttlMs: number,
  ) {}

  async refused(
    gatewayId: string,
    orgId: string,
    registry: readonly RegistryReport[],
    batch: RelayBatch,
    nowMs: number,
  ): Promise<DeviceResolution> {
    const ids = new Set<string>();
    for (const r of batch.records) {
      const id = deviceOf(r);
      if (id !== null) ids.add(id);
    }
    const now = monotonicNow();
    const mine = this.owned.of(gatewayId);
    const unknown = registry.length > 0 || mine === undefined ? [...ids] : [...ids].filter((id) => (mine.get(id) ?? 0) <= now);
    if (unknown.length === 0 && registry.length === 0) return { refused: new Map(), since: new Map(), epochs: new Map() };
    const resolution = await this.meta.resolveDevices(gatewayId, orgId, registry, unknown, nowMs);
    const refused = resolution.refused;
    if (this.ttlMs > 0) {
      const until = now + this.ttlMs;
      this.owned.set(
        gatewayId,
        unknown.filter((id) => !refused.has(id)).map((id) => [id, until] as const),
      );
    }
    return resolution;
  }

  /** A moved device is asked about again on this instance (the rest of the cache stays). */
  forget(deviceId: string): void {
    this.owned.forget(deviceId);
  }
}

/**
 * When a record happened, on its gateway's clock: what is compared with a revocation's or a move's
 * time. Alarm and audit records have none here: from the kit's last owner they are always taken
 * (an alarm must be able to clear, the audit is the kitchen's record of what was done).
 */
function stampOf(r: RelayBatch['records'][number]): number | null {
  switch (r.kind) {
    case 'telemetry':
    case 'status':
      return r.rxTs;
    case 'event':
      return r.ts;
    case 'command_result':
      return r.ackTs ?? r.issuedTs;
    case 'cook':
      return r.updatedTs;
    default:
      return null;
  }
}

/** Whether a record of a refused device is still taken: its last owner stamped it before the line (ADR 082). */
function beforeTheLine(r: RelayBatch['records'][number], since: number | undefined): boolean {
  if (since === undefined) return false;
  const stamp = stampOf(r);
  return stamp === null || stamp <= since;
}

/**
 * Splits off the records of refused devices: they become dead letters (with the index they had in
 * the received batch) and one cloud audit row per device and batch (a stable id: replays add none).
 * A refused device's last owner (it revoked the kit, or the kit was moved away from it) still
 * writes what it stamped up to the revocation or the move, and the kit's alarms and audit whenever
 * stamped (`resolution.since`, docs/adr/082-ingest-keeps-what-it-can.md).
 */
export function withoutRefused(
  batch: RelayBatch,
  positions: readonly number[],
  resolution: Pick<DeviceResolution, 'refused' | 'since'>,
  gatewayId: string,
  orgId: string,
  nowMs: number,
): { batch: RelayBatch; deadLetters: DeadLetter[]; audit: AuditRow[]; counts: Map<ForeignReason, number> } {
  const kept: RelayBatch['records'] = [];
  const deadLetters: DeadLetter[] = [];
  const perDevice = new Map<string, { reason: ForeignReason; records: number; kinds: Set<string> }>();
  const counts = new Map<ForeignReason, number>();
  batch.records.forEach((r, i) => {
    const id = deviceOf(r);
    const reason = id === null ? undefined : resolution.refused.get(id);
    if (id === null || reason === undefined || beforeTheLine(r, resolution.since.get(id))) {
      kept.push(r);
      return;
    }
    const index = positions[i] ?? i;
    deadLetters.push({
      index,
      reasons: [`records.${index}.deviceId: device ${id} ${REASON[reason]}`],
      payload: JSON.stringify(r).slice(0, 4096),
    });
    const d = perDevice.get(id) ?? { reason, records: 0, kinds: new Set<string>() };
    d.records++;
    d.kinds.add(r.kind);
    perDevice.set(id, d);
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  });
  const audit: AuditRow[] = [...perDevice].map(([deviceId, d]) => ({
    id: `fd-${createHash('sha256').update(`${gatewayId}\0${batch.batchId}\0${deviceId}`).digest('hex').slice(0, 40)}`,
    orgId,
    gatewayId,
    ts: nowMs,
    actor: { type: 'cloud' },
    deviceId,
    action: 'ingest.foreign_device',
    reason: `records refused: the device ${REASON[d.reason]}`,
    data: { batchId: batch.batchId, reason: d.reason, records: d.records, kinds: [...d.kinds].sort() },
  }));
  return { batch: { ...batch, records: kept }, deadLetters, audit, counts };
}
