import type { Relay } from './relay.js';

/** The relay's state as the local API (`GET /v1/relay`) and the metrics show it. */
export function relayStatus(relay: Relay, nowMs: number) {
  const b = relay.backlog.snapshot(nowMs);
  return {
    link: relay.state,
    lastError: relay.lastError ?? null,
    lastSuccessTs: relay.lastSuccessTs ?? null,
    sinceLastSuccessMs: relay.lastSuccessTs === undefined ? null : nowMs - relay.lastSuccessTs,
    backlog: {
      records: b.records,
      bytes: b.bytes,
      oldestAgeMs: b.oldestAgeMs,
      byPriority: b.byPriority,
    },
    sendPerS: b.sendPerS,
    inflowPerS: b.inflowPerS,
    drainEtaS: b.drainEtaS,
    dropped: { ...relay.drops.totals },
    batchTargetRecords: relay.batchTarget,
    sent: { records: relay.sentRecords, batches: relay.sentBatches },
    desiredVersion: relay.desiredVersion,
  };
}
export type RelayStatus = ReturnType<typeof relayStatus>;
