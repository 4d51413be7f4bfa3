import { SvError } from '../shared/errors.js';
import { DeviceId } from '../shared/protocol/device-id.js';
import { BODY_FIELDS, type FieldNames } from './admin-fields.js';
import { hashSecret, newId, newSecret } from './auth/tokens.js';
import { isDuplicateKey } from './stores/sql/driver.js';
import { type MetaStore, type OrgRow, ROLES, type Role, type Scope } from './stores/types.js';

/**
 * Org and credential administration shared by the CLI (`sousvide cloud org add`, `gateway add`,
 * `key add`) and the admin API. A secret is returned once and only its hash is stored. Errors name
 * each field as the caller calls it (`fields`: the API's body by default).
 */
const ORG_NAME = /^[a-z0-9][a-z0-9-]{1,62}$/;

export async function createOrg(
  meta: MetaStore,
  name: string,
  nowMs: number,
  fields: FieldNames = BODY_FIELDS,
): Promise<{ id: string; name: string }> {
  if (!ORG_NAME.test(name))
    throw new SvError('SV_ERR_VALIDATION', `invalid org name "${name}"`, [
      `${fields.name}: lowercase letters, digits and "-", 2–63 characters`,
    ]);
  if (await meta.findOrg(name)) throw new SvError('SV_ERR_CONFLICT', `org ${name} already exists`, [`${fields.name}: already taken`]);
  const id = newId('org');
  try {
    await meta.addOrg({ id, name, nowMs });
  } catch (err) {
    if (isDuplicateKey(err)) throw new SvError('SV_ERR_CONFLICT', `org ${name} already exists`, [`${fields.name}: already taken`]);
    throw err;
  }
  return { id, name };
}

/** An org named by id or name (the CLI's `--org`); a clear error when there is none. */
export async function requireOrg(meta: MetaStore, idOrName: string): Promise<OrgRow> {
  const org = await meta.findOrg(idOrName);
  if (!org) throw new SvError('SV_ERR_NOT_FOUND', `org ${idOrName} is unknown`, [`--org: no org with id or name "${idOrName}"`]);
  return org;
}

export async function createGateway(
  meta: MetaStore,
  name: string,
  orgId: string,
  nowMs: number,
  fields: FieldNames = BODY_FIELDS,
): Promise<{ id: string; token: string }> {
  const parsed = DeviceId.safeParse(name);
  if (!parsed.success)
    throw new SvError('SV_ERR_VALIDATION', `invalid gateway name "${name}"`, [
      `${fields.name}: lowercase letters, digits and "-", 3–32 characters`,
    ]);
  const token = newSecret('svg');
  try {
    await meta.addGateway({ id: name, name, orgId, tokenHash: hashSecret(token), nowMs });
  } catch (err) {
    // Gateway ids are global: a clash with another org's gateway reads the same as one in this org.
    if (isDuplicateKey(err)) throw new SvError('SV_ERR_CONFLICT', `gateway ${name} already exists`, [`${fields.name}: already taken`]);
    throw err;
  }
  return { id: name, token };
}

/** How long a rotated gateway token's predecessor is still accepted, unless told otherwise: time to put the new one on the gateway. */
export const DEFAULT_TOKEN_GRACE_S = 3600;
/** A week: a grace is for a planned change, not a second token kept for good. */
export const MAX_TOKEN_GRACE_S = 7 * 86_400;

/**
 * Gives a live gateway a new token (shown once); its old one is accepted for `graceS` more seconds
 * (0: not at all, as when the old one leaked). Null when the gateway is not in the scope or is revoked.
 */
export async function rotateGatewayToken(
  meta: MetaStore,
  scope: Scope,
  id: string,
  nowMs: number,
  graceS: number,
): Promise<{ id: string; token: string; previousTokenUntilMs: number | null } | null> {
  const token = newSecret('svg');
  const until = nowMs + graceS * 1000;
  if (!(await meta.rotateGatewayToken(scope, id, hashSecret(token), nowMs, until))) return null;
  return { id, token, previousTokenUntilMs: graceS > 0 ? until : null };
}

export interface NewKey {
  role: string;
  owner: string;
  orgId: string;
  /** Limits the key to one gateway of the org (its devices and records only). */
  gatewayId?: string | null;
  /** The user who makes it (directly or through a key the user made): removing or demoting the user revokes it. */
  createdBy?: string | null;
}

export async function createApiKey(
  meta: MetaStore,
  k: NewKey,
  nowMs: number,
  fields: FieldNames = BODY_FIELDS,
): Promise<{ id: string; key: string; role: Role; orgId: string; gatewayId: string | null }> {
  if (!ROLES.includes(k.role as Role))
    throw new SvError('SV_ERR_VALIDATION', `invalid role "${k.role}" (one of ${ROLES.join(', ')})`, [
      `${fields.role}: one of ${ROLES.join(', ')}`,
    ]);
  if (!/^[\w.@+-]{1,64}$/.test(k.owner))
    throw new SvError('SV_ERR_VALIDATION', 'invalid owner', [`${fields.owner}: 1–64 letters, digits or . @ + - _`]);
  const gatewayId = k.gatewayId ?? null;
  const scope: Scope = { orgId: k.orgId };
  if (gatewayId !== null && !(await meta.getGateway(scope, gatewayId)))
    throw new SvError('SV_ERR_NOT_FOUND', `gateway ${gatewayId} is unknown in this org`, [`${fields.gateway}: no such gateway in the org`]);
  const key = newSecret('svk');
  const id = newId('key');
  await meta.addApiKey({
    id,
    keyHash: hashSecret(key),
    role: k.role as Role,
    owner: k.owner,
    orgId: k.orgId,
    gatewayId,
    createdBy: k.createdBy ?? null,
    nowMs,
  });
  return { id, key, role: k.role as Role, orgId: k.orgId, gatewayId };
}
