import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { makeDir } from '../../shared/fs/paths.js';
import type { GatewayConfig } from '../config.js';
import { readGatewayInfo } from '../store/lock.js';
import { openStore, requireStore } from '../store/open.js';
import { ensurePki, issueDeviceCert } from '../tls/pki.js';
import {
  addCertDevice,
  addSecretDevice,
  type DeviceSummary,
  listDevices,
  requireDeviceId,
  revokeDevice,
  rotateDevice,
} from './registry.js';

/**
 * Provisioning as the CLI runs it, straight on the gateway's SQLite file (works whether the
 * gateway runs or not; a running gateway notices within half a second and disconnects a
 * revoked or rotated device).
 */
export function mqttUrl(config: GatewayConfig, port = config.mqtt.port): string {
  const host = config.mqtt.publicHost ?? hostname();
  return `mqtts://${isIP(host) === 6 ? `[${host}]` : host}:${port}`; // an IPv6 address in a URL is bracketed
}

/**
 * The URL kits should use: the one the gateway on this data dir announced when it last started
 * (its own configuration), else this command's configuration.
 */
function kitUrl(config: GatewayConfig): string {
  return readGatewayInfo(config.dataDir)?.mqttUrl ?? mqttUrl(config);
}

/** `init`: this command may create the store (`device add --init`); otherwise it must exist. */
export interface ProvisionOptions {
  init?: boolean;
}

function existing(config: GatewayConfig, o: ProvisionOptions = {}): void {
  if (!o.init) requireStore(config.dataDir);
}

export async function provisionSecret(config: GatewayConfig, id: string | undefined, o: ProvisionOptions = {}) {
  existing(config, o);
  const { pki } = ensurePki(config.dataDir, config.mqtt.publicHost ? [config.mqtt.publicHost] : []);
  const db = openStore(config.dataDir);
  try {
    const { id: deviceId, secret } = await addSecretDevice(db, id);
    return { id: deviceId, secret, caFile: pki.caFile, mqttUrl: kitUrl(config) };
  } finally {
    db.close();
  }
}

export function provisionCert(config: GatewayConfig, id: string | undefined, o: ProvisionOptions = {}) {
  existing(config, o);
  const { pki } = ensurePki(config.dataDir, config.mqtt.publicHost ? [config.mqtt.publicHost] : []);
  const db = openStore(config.dataDir);
  try {
    const deviceId = requireDeviceId(id);
    const issued = issueDeviceCert(pki, deviceId);
    addCertDevice(db, deviceId, issued.fingerprint);
    const dir = join(config.dataDir, 'devices', deviceId);
    makeDir(dir, 'data dir', { mode: 0o700 });
    const certFile = join(dir, 'client.crt');
    const keyFile = join(dir, 'client.key');
    const caFile = join(dir, 'ca.crt');
    writeFileSync(certFile, issued.certPem);
    writeFileSync(keyFile, issued.keyPem, { mode: 0o600 });
    writeFileSync(caFile, readFileSync(pki.caFile, 'utf8'));
    return { id: deviceId, certFile, keyFile, caFile, mqttUrl: kitUrl(config) };
  } finally {
    db.close();
  }
}

export function withStore<T>(config: GatewayConfig, fn: (db: ReturnType<typeof openStore>) => T): T {
  existing(config);
  const db = openStore(config.dataDir);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export const revoke = (config: GatewayConfig, id: string | undefined) => withStore(config, (db) => revokeDevice(db, id));
export const list = (config: GatewayConfig): DeviceSummary[] => withStore(config, (db) => listDevices(db));
export async function rotate(config: GatewayConfig, id: string | undefined) {
  existing(config);
  const db = openStore(config.dataDir);
  try {
    return { ...(await rotateDevice(db, id)), mqttUrl: kitUrl(config) };
  } finally {
    db.close();
  }
}
