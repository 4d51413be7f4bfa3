import type { GatewayConfig } from '../config.js';

/** Everything the relay needs from the gateway config, flat (tests and the bench build it directly). */
export interface RelayOptions {
  url: string;
  token: string;
  batchMaxRecords: number;
  batchMinRecords: number;
  batchMaxBytes: number;
  lingerMs: number;
  idleSyncMs: number;
  requestTimeoutMs: number;
  targetLatencyMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  quotaBytes: number;
  statsIntervalMs: number;
  dropReportMs: number;
  /** Batches on the wire at once (ADR 022); 1 is ADR 020's one batch in flight. Default 2. */
  maxInFlight?: number | undefined;
  tlsCaFile?: string | undefined;
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
}

export function relayOptions(config: GatewayConfig): RelayOptions | undefined {
  const { url, token } = config.cloud;
  if (url === undefined) return undefined;
  // Without a token every batch would be refused; running offline is the honest alternative.
  if (token === undefined) throw new Error('cloud.token: required when cloud.url is set');
  return { url, token, ...config.relay };
}
