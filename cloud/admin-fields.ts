/**
 * How a caller names the fields it hands to the admin rules (cloud/admin.ts, cloud/auth/users.ts),
 * for the `field: reason` of their errors: the API names the request body's field (docs/api.md:
 * `body.name`), the CLI its argument or flag (`name`, `--gateway`).
 */
export interface FieldNames {
  name: string;
  email: string;
  role: string;
  owner: string;
  gateway: string;
}

export const BODY_FIELDS: FieldNames = {
  name: 'body.name',
  email: 'body.email',
  role: 'body.role',
  owner: 'body.owner',
  gateway: 'body.gateway',
};

export const CLI_FIELDS: FieldNames = { name: 'name', email: 'email', role: '--role', owner: '--owner', gateway: '--gateway' };
