import type { GatewayConfig } from '../config.js';
import { maxTargetC } from '../control/index.js';
import { controlConfigOf } from '../control-driver/control-part.js';

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
  /** The highest cook target this gateway accepts (control.maxC less the overshoot margin), told to the cloud with each batch. */
  maxTargetC?: number | undefined;
}

export function relayOptions(config: GatewayConfig): RelayOptions | undefined {
  const { url, token } = config.cloud;
  if (url === undefined) return undefined;
  // Without a token every batch would be refused; running offline is the honest alternative.
  if (token === undefined) throw new Error('cloud.token: required when cloud.url is set');
  return { url, token, ...config.relay, maxTargetC: maxTargetC(controlConfigOf(config.control).watchdog) };
}

/**
 * Why a cloud URL is a risk worth a warning at start, or undefined: plain HTTP to anything but
 * this machine sends the gateway's token and every reading across the network unencrypted.
 * `origin` is the URL without any path or user info, for the log line.
 */
export function plainCloudWarning(url: string | undefined): { origin: string; message: string } | undefined {
  if (url === undefined) return undefined;
  const u = new URL(url);
  const local = u.hostname === 'localhost' || u.hostname === '[::1]' || /^127\./.test(u.hostname);
  if (u.protocol !== 'http:' || local) return undefined;
  return {
    origin: u.origin,
    message: `cloud.url is plain HTTP to ${u.host}: the gateway token and every reading cross the network unencrypted; use https:// (or a TLS proxy on this machine)`,
  };
}
