import type { TLSSocket } from 'node:tls';
import { isDeviceId } from '../../shared/protocol/device-id.js';
import { certFingerprint } from '../tls/pki.js';
import type { DeviceDirectory } from './directory.js';
import { verifiedFingerprint, verifySecret } from './secrets.js';

export type AuthFailure =
  | 'bad_client_id'
  | 'client_id_mismatch'
  | 'unknown_device'
  | 'revoked'
  | 'bad_secret'
  | 'bad_cert'
  | 'no_credentials';
export type AuthResult = { ok: true; method: 'secret' | 'cert' } | { ok: false; reason: AuthFailure };

/**
 * Device authentication (docs/protocol.md): client id = device id, and either username = device id
 * with the device secret as password, or a client certificate from the device CA with CN = device
 * id (verified by TLS) whose fingerprint is the one recorded at provisioning.
 */
export class Authenticator {
  /** Fingerprints of secrets that already passed scrypt, per device (memory only). */
  private readonly verified = new Map<string, string>();

  constructor(private readonly directory: DeviceDirectory) {}

  /** Drops cached verifications (on revoke or rotate). */
  forget(deviceId: string): void {
    this.verified.delete(deviceId);
  }

  async authenticate(clientId: string, username: string | undefined, password: Buffer | undefined, conn: unknown): Promise<AuthResult> {
    if (!isDeviceId(clientId)) return { ok: false, reason: 'bad_client_id' };
    // Provisioning done a moment ago by the CLI (another process) applies at once: the revision
    // check is a one-row primary-key read.
    this.directory.poll();
    const device = this.directory.get(clientId);
    const tls = conn as Partial<TLSSocket>;
    const peer = typeof tls.getPeerCertificate === 'function' ? tls.getPeerCertificate(false) : undefined;
    const hasCert = peer !== undefined && peer !== null && Object.keys(peer).length > 0;

    // A certificate that failed verification (another CA, expired) may leave no peer certificate
    // on the socket, only the verification error: count it as a bad certificate.
    if (
      !hasCert &&
      password === undefined &&
      /SIGNATURE|SELF_SIGNED|UNTRUSTED|EXPIRED|NOT_YET|REVOKED/.test(String(tls.authorizationError ?? ''))
    ) {
      return { ok: false, reason: 'bad_cert' };
    }
    if (hasCert && password === undefined) {
      if (!tls.authorized) return { ok: false, reason: 'bad_cert' };
      if (peer.subject?.CN !== clientId) return { ok: false, reason: 'client_id_mismatch' };
      if (username !== undefined && username !== clientId) return { ok: false, reason: 'client_id_mismatch' };
      if (!device) return { ok: false, reason: 'unknown_device' };
      if (device.revoked_ts !== null) return { ok: false, reason: 'revoked' };
      if (device.auth !== 'cert' || device.cert_fingerprint !== certFingerprint(peer.raw)) return { ok: false, reason: 'bad_cert' };
      return { ok: true, method: 'cert' };
    }
    if (username === undefined || password === undefined) return { ok: false, reason: 'no_credentials' };
    if (username !== clientId) return { ok: false, reason: 'client_id_mismatch' };
    if (!device) return { ok: false, reason: 'unknown_device' };
    if (device.revoked_ts !== null) return { ok: false, reason: 'revoked' };
    if (device.auth !== 'secret' || device.secret_hash === null) return { ok: false, reason: 'bad_secret' };
    const secret = password.toString('utf8');
    const fingerprint = verifiedFingerprint(secret);
    if (this.verified.get(clientId) === fingerprint) return { ok: true, method: 'secret' };
    const hash = device.secret_hash;
    if (!(await verifySecret(secret, hash))) return { ok: false, reason: 'bad_secret' };
    // Only cache if the row did not change while scrypt ran.
    if (this.directory.get(clientId)?.secret_hash === hash) this.verified.set(clientId, fingerprint);
    return { ok: true, method: 'secret' };
  }
}
