import { createHash } from 'node:crypto';
import type { RelayBatch } from '../../shared/relay/batch.js';
import { monotonicNow } from '../../shared/time/monotonic.js';
import type { AuditRow, DeadLetter, ForeignReason, MetaStore, RegistryReport } from '../stores/types.js';
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
  ): Promise<Map<string, ForeignReason>> {
    const ids = new Set<string>();
    for (const r of batch.records) {
      const id = deviceOf(r);
      if (id !== null) ids.add(id);
    }
    const now = monotonicNow();
    const mine = this.owned.of(gatewayId);
    const unknown = registry.length > 0 || mine === undefined ? [...ids] : [...ids].filter((id) => (mine.get(id) ?? 0) <= now);
    if (unknown.length === 0 && registry.length === 0) return new Map();
    const refused = await this.meta.resolveDevices(gatewayId, orgId, registry, unknown, nowMs);
    if (this.ttlMs > 0) {
      const until = now + this.ttlMs;
      this.owned.set(
        gatewayId,
        unknown.filter((id) => !refused.has(id)).map((id) => [id, until] as const),
      );
    }
    return refused;
  }

  /** A moved device is asked about again on this instance (the rest of the cache stays). */
  forget(deviceId: string): void {
    this.owned.forget(deviceId);
  }
}

/**
 * Splits off the records of refused devices: they become dead letters (with the index they had in
 * the received batch) and one cloud audit row per device and batch (a stable id: replays add none).
 */
export function withoutRefused(
  batch: RelayBatch,
  positions: readonly number[],
  refused: ReadonlyMap<string, ForeignReason>,
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
    const reason = id === null ? undefined : refused.get(id);
    if (id === null || reason === undefined) {
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
