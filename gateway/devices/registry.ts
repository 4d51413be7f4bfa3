import type { Database } from 'better-sqlite3';
import { SvError } from '../../shared/errors.js';
import { isDeviceId } from '../../shared/protocol/device-id.js';
import { writeTransaction } from '../store/write-transaction.js';
import { queueRegistryChange } from './registry-relay.js';
import { generateSecret, hashSecret } from './secrets.js';

/** Provisioning operations on the devices table (used by the CLI and the local API). */
export interface DeviceRow {
  id: string;
  auth: 'secret' | 'cert';
  secret_hash: string | null;
  cert_fingerprint: string | null;
  created_ts: number;
  rotated_ts: number | null;
  revoked_ts: number | null;
}

export interface DeviceSummary {
  id: string;
  auth: 'secret' | 'cert';
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
}

export function requireDeviceId(id: string | undefined): string {
  if (id === undefined || !isDeviceId(id)) {
    throw new SvError('SV_ERR_CLI_USAGE', `id: must match ^[a-z0-9][a-z0-9-]{2,31}$ (got ${JSON.stringify(id ?? '')})`, [
      'id: invalid device id',
    ]);
  }
  return id;
}

export async function addSecretDevice(db: Database, id: string | undefined): Promise<{ id: string; secret: string }> {
  const deviceId = requireDeviceId(id);
  const secret = generateSecret();
  const hash = await hashSecret(secret);
  insert(db, { id: deviceId, auth: 'secret', secret_hash: hash, cert_fingerprint: null });
  return { id: deviceId, secret };
}

export function addCertDevice(db: Database, id: string, fingerprint: string): void {
  insert(db, { id: requireDeviceId(id), auth: 'cert', secret_hash: null, cert_fingerprint: fingerprint });
}

function insert(db: Database, row: Pick<DeviceRow, 'id' | 'auth' | 'secret_hash' | 'cert_fingerprint'>): void {
  const existing = db.prepare('SELECT revoked_ts FROM devices WHERE id = ?').get(row.id) as { revoked_ts: number | null } | undefined;
  if (existing && existing.revoked_ts === null) {
    throw new SvError('SV_ERR_CONFLICT', `device ${row.id} already exists (use "device rotate ${row.id}" for a new secret)`, [
      `id: ${row.id} exists`,
    ]);
  }
  writeTransaction(db, () => {
    db.prepare(
      `INSERT INTO devices (id, auth, secret_hash, cert_fingerprint, created_ts) VALUES (@id, @auth, @secret_hash, @cert_fingerprint, @now)
       ON CONFLICT (id) DO UPDATE SET auth = excluded.auth, secret_hash = excluded.secret_hash,
         cert_fingerprint = excluded.cert_fingerprint, created_ts = excluded.created_ts, rotated_ts = NULL, revoked_ts = NULL`,
    ).run({ ...row, now: Date.now() });
    queueRegistryChange(db, { added: row.id });
  })();
}

export function revokeDevice(db: Database, id: string | undefined): void {
  const deviceId = requireDeviceId(id);
  const r = writeTransaction(db, () => {
    const changed = db.prepare('UPDATE devices SET revoked_ts = ? WHERE id = ? AND revoked_ts IS NULL').run(Date.now(), deviceId);
    if (changed.changes > 0) queueRegistryChange(db, { revoked: deviceId });
    return changed;
  })();
  if (r.changes === 0) throw new SvError('SV_ERR_NOT_FOUND', `no active device ${deviceId}`, [`id: no active device ${deviceId}`]);
}

export async function rotateDevice(db: Database, id: string | undefined): Promise<{ id: string; secret: string }> {
  const deviceId = requireDeviceId(id);
  const row = db.prepare('SELECT auth FROM devices WHERE id = ? AND revoked_ts IS NULL').get(deviceId) as { auth: string } | undefined;
  if (!row) throw new SvError('SV_ERR_NOT_FOUND', `no active device ${deviceId}`, [`id: no active device ${deviceId}`]);
  const secret = generateSecret();
  const hash = await hashSecret(secret);
  db.prepare("UPDATE devices SET auth = 'secret', secret_hash = ?, cert_fingerprint = NULL, rotated_ts = ? WHERE id = ?").run(
    hash,
    Date.now(),
    deviceId,
  );
  return { id: deviceId, secret };
}

export function listDevices(db: Database): DeviceSummary[] {
  const rows = db.prepare('SELECT * FROM devices ORDER BY id').all() as DeviceRow[];
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return rows.map((r) => ({
    id: r.id,
    auth: r.auth,
    createdAt: iso(r.created_ts) as string,
    rotatedAt: iso(r.rotated_ts),
    revokedAt: iso(r.revoked_ts),
  }));
}

/** Provisions many kits at once (benchmarks, load tests): hashes in parallel, one transaction. */
export async function addSecretDevicesBulk(db: Database, ids: readonly string[]): Promise<{ id: string; secret: string }[]> {
  const out: { id: string; secret: string; hash: string }[] = [];
  for (let i = 0; i < ids.length; i += 256) {
    const chunk = ids.slice(i, i + 256).map(requireDeviceId);
    const hashed = await Promise.all(
      chunk.map(async (id) => {
        const secret = generateSecret();
        return { id, secret, hash: await hashSecret(secret) };
      }),
    );
    out.push(...hashed);
  }
  const now = Date.now();
  const upsert = db.prepare(
    `INSERT INTO devices (id, auth, secret_hash, created_ts) VALUES (?, 'secret', ?, ?)
     ON CONFLICT (id) DO UPDATE SET auth = 'secret', secret_hash = excluded.secret_hash, cert_fingerprint = NULL, revoked_ts = NULL`,
  );
  writeTransaction(db, () => {
    for (const d of out) upsert.run(d.id, d.hash, now);
  })();
  return out.map(({ id, secret }) => ({ id, secret }));
}
