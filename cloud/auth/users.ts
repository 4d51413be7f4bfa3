import { z } from 'zod';
import { SvError } from '../../shared/errors.js';
import { BODY_FIELDS, type FieldNames } from '../admin-fields.js';
import { isDuplicateKey } from '../stores/sql/driver.js';
import { DEFAULT_ORG, type MetaStore, ROLES, type Role } from '../stores/types.js';
import { hashPassword, requirePolicy } from './password.js';
import { hashSecret, newId, newSecret } from './tokens.js';

/**
 * Account administration shared by the CLI (`user add`, `admin add`) and the API (`POST /v1/users`);
 * errors name each field as the caller calls it (`fields`: the API's body by default).
 */
export const Email = z
  .string()
  .max(254)
  .transform((v) => v.trim().toLowerCase())
  .pipe(z.email('must be an e-mail address'));
export const INVITE_TTL_MS = 7 * 24 * 3_600_000;

export interface NewUser {
  email: string;
  orgId: string;
  role: string;
  /** Set now (CLI --password-stdin); else an invitation link is made. */
  password?: string;
  serviceAdmin?: boolean;
  /** Where the dashboard is served (the invitation link's origin). */
  publicUrl: string;
  /** The user who invites (directly or through a key the user made); null or unset: the CLI. */
  invitedBy?: string | null;
}

export async function createUser(
  meta: MetaStore,
  u: NewUser,
  nowMs: number,
  fields: FieldNames = BODY_FIELDS,
): Promise<{ id: string; inviteUrl: string | null }> {
  const email = Email.safeParse(u.email);
  if (!email.success) throw new SvError('SV_ERR_VALIDATION', `invalid e-mail "${u.email}"`, [`${fields.email}: must be an e-mail address`]);
  if (!ROLES.includes(u.role as Role))
    throw new SvError('SV_ERR_VALIDATION', `invalid role "${u.role}" (one of ${ROLES.join(', ')})`, [
      `${fields.role}: one of ${ROLES.join(', ')}`,
    ]);
  if (u.serviceAdmin && u.orgId !== DEFAULT_ORG) throw new SvError('SV_ERR_VALIDATION', 'a service admin belongs to the default org');
  if (u.password !== undefined) requirePolicy(u.password, email.data);
  if (await meta.users.userByEmail(email.data))
    throw new SvError('SV_ERR_CONFLICT', `user ${email.data} already exists`, [`${fields.email}: already taken`]);
  const id = newId('usr');
  try {
    await meta.users.addUser({
      id,
      orgId: u.orgId,
      email: email.data,
      role: u.role as Role,
      serviceAdmin: u.serviceAdmin === true,
      passwordHash: u.password === undefined ? null : await hashPassword(u.password),
      nowMs,
    });
  } catch (err) {
    // The same e-mail added at the same moment (by another org, whose lock is not this one's):
    // the unique index decides, and the loser hears what the check above would have said.
    if (isDuplicateKey(err)) throw new SvError('SV_ERR_CONFLICT', `user ${email.data} already exists`, [`${fields.email}: already taken`]);
    throw err;
  }
  if (u.password !== undefined) return { id, inviteUrl: null };
  return { id, inviteUrl: await invite(meta, id, u.orgId, u.publicUrl, nowMs, u.invitedBy ?? null) };
}

/** A one-time link (the token in the URL fragment: it never reaches a server log or a Referer). */
export async function invite(
  meta: MetaStore,
  userId: string,
  orgId: string,
  publicUrl: string,
  nowMs: number,
  invitedBy: string | null = null,
): Promise<string> {
  const token = newSecret('svi');
  await meta.users.addInvite({ tokenHash: hashSecret(token), userId, orgId, invitedBy, nowMs, expiresMs: nowMs + INVITE_TTL_MS });
  return `${publicUrl.replace(/\/$/, '')}/dashboard/#/invite/${token}`;
}
