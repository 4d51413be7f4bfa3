import { SvError } from '../shared/errors.js';
import { DeviceId } from '../shared/protocol/device-id.js';
import { hashSecret, newId, newSecret } from './auth/tokens.js';
import { type MetaStore, ROLES, type Role } from './stores/types.js';

/**
 * Credential administration shared by the CLI (`sousvide cloud gateway add`, `key add`) and the
 * admin API. The secret is returned once and only its hash is stored.
 */
export async function createGateway(meta: MetaStore, name: string, nowMs: number): Promise<{ id: string; token: string }> {
  const parsed = DeviceId.safeParse(name);
  if (!parsed.success)
    throw new SvError('SV_ERR_VALIDATION', `invalid gateway name "${name}"`, ['name: lowercase letters, digits and "-", 3–32 characters']);
  const token = newSecret('svg');
  try {
    await meta.addGateway({ id: name, name, tokenHash: hashSecret(token), nowMs });
  } catch (err) {
    if (/duplicate|unique/i.test((err as Error).message))
      throw new SvError('SV_ERR_CONFLICT', `gateway ${name} already exists`, ['name: already taken']);
    throw err;
  }
  return { id: name, token };
}

export async function createApiKey(
  meta: MetaStore,
  role: string,
  owner: string,
  nowMs: number,
): Promise<{ id: string; key: string; role: Role }> {
  if (!ROLES.includes(role as Role)) throw new SvError('SV_ERR_VALIDATION', `invalid role "${role}"`, [`role: one of ${ROLES.join(', ')}`]);
  if (!/^[\w.@+-]{1,64}$/.test(owner))
    throw new SvError('SV_ERR_VALIDATION', 'invalid owner', ['owner: 1–64 letters, digits or . @ + - _']);
  const key = newSecret('svk');
  const id = newId('key');
  await meta.addApiKey({ id, keyHash: hashSecret(key), role: role as Role, owner, nowMs });
  return { id, key, role: role as Role };
}
