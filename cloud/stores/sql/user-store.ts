import {
  type NewInvite,
  type Page,
  type PageRequest,
  ROLE_RANK,
  ROLES,
  type Role,
  type Scope,
  type UserRow,
  type UserStore,
} from '../types.js';
import { lockOrg, type SqlDriver } from './driver.js';

type Row = Record<string, unknown>;
function userRow(r: Row): UserRow & { passwordHash: string | null } {
  return {
    id: String(r.id),
    orgId: String(r.org_id),
    email: String(r.email),
    role: String(r.role) as Role,
    serviceAdmin: Number(r.service_admin) === 1,
    createdMs: Number(r.created_ms),
    passwordSet: r.password_hash !== null,
    disabledMs: r.disabled_ms === null ? null : Number(r.disabled_ms),
    passwordHash: r.password_hash === null ? null : String(r.password_hash),
  };
}
const publicRow = ({ passwordHash: _h, ...u }: UserRow & { passwordHash: string | null }): UserRow => u;

/**
 * For the last-admin check, inside a transaction: the org's user `id` and how many other admins
 * (not disabled) the org has. The org's lock (lockOrg) is taken first, so two transactions that
 * each take an admin away (a demotion, a removal) run one after the other and the second sees the
 * first's change.
 */
async function adminCheck(d: SqlDriver, orgId: string, id: string): Promise<{ row: Row | undefined; otherAdmins: number }> {
  await lockOrg(d, orgId);
  const rows = await d.query("SELECT * FROM users WHERE org_id = ? AND (id = ? OR role = 'admin')", [orgId, id]);
  return {
    row: rows.find((r) => String(r.id) === id),
    otherAdmins: rows.filter((r) => String(r.id) !== id && r.role === 'admin' && r.disabled_ms === null).length,
  };
}

/**
 * Inside a removal or a role change: revokes the org's live API keys the user made (directly or
 * through a key the user made) with a role above `keep` (null: every one), so that a removed or
 * demoted admin keeps no admin key. Returns their ids.
 */
async function revokeKeysMadeBy(d: SqlDriver, orgId: string, userId: string, keep: Role | null, nowMs: number): Promise<string[]> {
  const above = ROLES.filter((r) => keep === null || ROLE_RANK[r] > ROLE_RANK[keep]);
  if (above.length === 0) return [];
  const where = `org_id = ? AND created_by = ? AND revoked_ms IS NULL AND role IN (${above.map(() => '?').join(', ')})`;
  const rows = await d.query<{ id: string }>(`SELECT id FROM api_keys WHERE ${where}`, [orgId, userId, ...above]);
  if (rows.length > 0) await d.run(`UPDATE api_keys SET revoked_ms = ? WHERE ${where}`, [nowMs, orgId, userId, ...above]);
  return rows.map((r) => String(r.id));
}

/**
 * Inside a removal or a role change: withdraws the invitations the user issued (directly or
 * through a key the user made) that are still open, for a role above `keep` (null: every one),
 * with the invited user rows, which hold nothing yet. Returns the withdrawn users' ids.
 */
async function withdrawInvitesBy(d: SqlDriver, orgId: string, userId: string, keep: Role | null): Promise<string[]> {
  const above = ROLES.filter((r) => keep === null || ROLE_RANK[r] > ROLE_RANK[keep]);
  if (above.length === 0) return [];
  const rows = await d.query<{ id: string }>(
    `SELECT DISTINCT u.id AS id FROM invites i JOIN users u ON u.id = i.user_id
      WHERE i.org_id = ? AND i.invited_by = ? AND u.org_id = ? AND u.password_hash IS NULL AND u.role IN (${above.map(() => '?').join(', ')})`,
    [orgId, userId, orgId, ...above],
  );
  for (const { id } of rows) {
    await d.run('DELETE FROM invites WHERE user_id = ?', [String(id)]);
    await d.run('DELETE FROM users WHERE id = ? AND org_id = ? AND password_hash IS NULL', [String(id), orgId]);
  }
  return rows.map((r) => String(r.id));
}

/** Users, invitations and sessions in the meta store (MySQL/MariaDB or the embedded SQLite file). */
export class SqlUserStore implements UserStore {
  constructor(private readonly d: SqlDriver) {}

  async addUser(u: {
    id: string;
    orgId: string;
    email: string;
    role: Role;
    serviceAdmin: boolean;
    passwordHash: string | null;
    nowMs: number;
  }) {
    await this.d.run(
      'INSERT INTO users (id, org_id, email, password_hash, role, service_admin, created_ms, password_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [u.id, u.orgId, u.email, u.passwordHash, u.role, u.serviceAdmin ? 1 : 0, u.nowMs, u.passwordHash === null ? null : u.nowMs],
    );
  }

  async userByEmail(email: string) {
    const rows = await this.d.query('SELECT * FROM users WHERE email = ?', [email]);
    return rows[0] ? userRow(rows[0]) : null;
  }

  async userById(id: string) {
    const rows = await this.d.query('SELECT * FROM users WHERE id = ?', [id]);
    return rows[0] ? userRow(rows[0]) : null;
  }

  async listUsers(scope: Scope, page: PageRequest): Promise<Page<UserRow>> {
    const params: (string | number)[] = [scope.orgId];
    let cursor = '';
    if (page.after?.[0] !== undefined) {
      cursor = ' AND id > ?';
      params.push(String(page.after[0]));
    }
    const rows = await this.d.query(`SELECT * FROM users WHERE org_id = ?${cursor} ORDER BY id LIMIT ${page.limit + 1}`, params);
    const items = rows.slice(0, page.limit).map((r) => publicRow(userRow(r)));
    const last = items[items.length - 1];
    return { items, next: rows.length > page.limit && last ? [last.id] : null };
  }

  async setPassword(userId: string, passwordHash: string, nowMs: number): Promise<void> {
    await this.d.run('UPDATE users SET password_hash = ?, password_ms = ? WHERE id = ?', [passwordHash, nowMs, userId]);
  }

  async addInvite(i: NewInvite): Promise<void> {
    await this.d.run('INSERT INTO invites (token_hash, user_id, org_id, invited_by, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)', [
      i.tokenHash,
      i.userId,
      i.orgId,
      i.invitedBy ?? null,
      i.nowMs,
      i.expiresMs,
    ]);
  }

  async peekInvite(tokenHash: string, nowMs: number): Promise<string | null> {
    const rows = await this.d.query<{ user_id: string }>(
      'SELECT user_id FROM invites WHERE token_hash = ? AND used_ms IS NULL AND expires_ms > ?',
      [tokenHash, nowMs],
    );
    return rows[0] ? String(rows[0].user_id) : null;
  }

  async takeInvite(tokenHash: string, nowMs: number): Promise<string | null> {
    return this.d.tx(async (d) => {
      const used = await d.run('UPDATE invites SET used_ms = ? WHERE token_hash = ? AND used_ms IS NULL AND expires_ms > ?', [
        nowMs,
        tokenHash,
        nowMs,
      ]);
      if (used.affected === 0) return null;
      const rows = await d.query<{ user_id: string }>('SELECT user_id FROM invites WHERE token_hash = ?', [tokenHash]);
      return rows[0] ? String(rows[0].user_id) : null;
    });
  }

  async getSession(idHash: string, nowMs: number): Promise<string | null> {
    const rows = await this.d.query<{ data: string; expires_ms: number }>('SELECT data, expires_ms FROM sessions WHERE id_hash = ?', [
      idHash,
    ]);
    const r = rows[0];
    if (!r) return null;
    if (Number(r.expires_ms) <= nowMs) {
      await this.d.run('DELETE FROM sessions WHERE id_hash = ?', [idHash]);
      return null;
    }
    return String(r.data);
  }

  async setSession(s: { idHash: string; userId: string | null; orgId: string | null; expiresMs: number; data: string }): Promise<void> {
    const upsert =
      this.d.dialect === 'mysql'
        ? 'ON DUPLICATE KEY UPDATE user_id = VALUES(user_id), org_id = VALUES(org_id), expires_ms = VALUES(expires_ms), data = VALUES(data)'
        : 'ON CONFLICT(id_hash) DO UPDATE SET user_id = excluded.user_id, org_id = excluded.org_id, expires_ms = excluded.expires_ms, data = excluded.data';
    await this.d.run(`INSERT INTO sessions (id_hash, user_id, org_id, expires_ms, data) VALUES (?, ?, ?, ?, ?) ${upsert}`, [
      s.idHash,
      s.userId,
      s.orgId,
      s.expiresMs,
      s.data,
    ]);
  }

  async removeUser(
    scope: Scope,
    id: string,
    nowMs: number,
  ): Promise<(UserRow & { revokedKeys: string[]; withdrawnInvites: string[] }) | 'last-admin' | null> {
    return this.d.tx(async (d) => {
      const { row, otherAdmins } = await adminCheck(d, scope.orgId, id);
      if (!row) return null;
      if (row.role === 'admin' && otherAdmins === 0) return 'last-admin';
      await d.run('DELETE FROM invites WHERE user_id = ?', [id]);
      await d.run('DELETE FROM sessions WHERE user_id = ?', [id]);
      await d.run('DELETE FROM users WHERE id = ? AND org_id = ?', [id, scope.orgId]);
      const revokedKeys = await revokeKeysMadeBy(d, scope.orgId, id, null, nowMs);
      const withdrawnInvites = await withdrawInvitesBy(d, scope.orgId, id, null);
      return { ...publicRow(userRow(row)), revokedKeys, withdrawnInvites };
    });
  }

  async changeRole(
    scope: Scope,
    id: string,
    role: Role,
    nowMs: number,
  ): Promise<{ user: UserRow; oldRole: Role; revokedKeys: string[]; withdrawnInvites: string[] } | 'last-admin' | null> {
    return this.d.tx(async (d) => {
      const { row, otherAdmins } = await adminCheck(d, scope.orgId, id);
      if (!row) return null;
      const oldRole = String(row.role) as Role;
      if (oldRole === 'admin' && role !== 'admin' && otherAdmins === 0) return 'last-admin';
      if (role === oldRole) return { user: publicRow(userRow(row)), oldRole, revokedKeys: [], withdrawnInvites: [] };
      await d.run('UPDATE users SET role = ? WHERE id = ? AND org_id = ?', [role, id, scope.orgId]);
      const revokedKeys = await revokeKeysMadeBy(d, scope.orgId, id, role, nowMs);
      const withdrawnInvites = await withdrawInvitesBy(d, scope.orgId, id, role);
      return { user: publicRow(userRow({ ...row, role })), oldRole, revokedKeys, withdrawnInvites };
    });
  }

  async destroySession(idHash: string): Promise<void> {
    await this.d.run('DELETE FROM sessions WHERE id_hash = ?', [idHash]);
  }

  async destroyUserSessions(userId: string, exceptIdHash: string | null): Promise<number> {
    const r = await this.d.run('DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?', [userId, exceptIdHash ?? '']);
    return r.affected;
  }
}
