import { DEFAULT_TOKEN_GRACE_S, MAX_TOKEN_GRACE_S } from '../../cloud/admin.js';
import { CLI_FIELDS } from '../../cloud/admin-fields.js';
import { type CloudConfig, cloudConfig } from '../../cloud/config.js';
import { DEFAULT_ORG, type MetaStore, type Page, type PageRequest, ROLES, type Role } from '../../cloud/stores/types.js';
import { SvError } from '../../shared/errors.js';
import { DeviceId } from '../../shared/protocol/device-id.js';
import type { Command, CommandContext } from '../command.js';
import { configFor } from '../run.js';

/**
 * The cloud's stores and admin rules, loaded when a command runs: the database drivers take most
 * of the CLI's start-up, and help or a usage error needs none of them.
 */
async function loadAdmin() {
  const [admin, users, deps, stores] = await Promise.all([
    import('../../cloud/admin.js'),
    import('../../cloud/auth/users.js'),
    import('../../cloud/routes/deps.js'),
    import('../../cloud/stores/index.js'),
  ]);
  return { ...admin, createUser: users.createUser, auditOf: deps.auditOf, ...stores };
}
type Admin = Awaited<ReturnType<typeof loadAdmin>>;

/**
 * `sousvide cloud org|gateway|key|device …`: service-level administration straight on the store
 * (whoever runs it holds the store's credentials). Every `--json` output is a contract. Only
 * `cloud migrate` passes `create`: the others refuse a data dir without a cloud store.
 */
export async function withMeta<T>(
  config: CloudConfig,
  fn: (meta: MetaStore, migrated: { applied: number[]; current: number }, admin: Admin) => Promise<T>,
  options: { create: boolean } = { create: false },
): Promise<T> {
  const admin = await loadAdmin();
  const meta = admin.createMetaStore(config, options);
  try {
    await meta.open();
    const migrated = await meta.migrate();
    return await fn(meta, migrated, admin);
  } finally {
    await meta.close().catch(() => {});
  }
}

export function print(ctx: CommandContext, json: unknown, text: string): number {
  ctx.stdout.write(ctx.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
  return 0;
}

function one(ctx: CommandContext, usage: string, what: string): string {
  const v = ctx.positionals[0];
  if (!v) throw new SvError('SV_ERR_CLI_USAGE', `usage: ${usage}`, [`${what}: required`]);
  return v;
}

function stringFlag(ctx: CommandContext, name: string, required: true): string;
function stringFlag(ctx: CommandContext, name: string, required?: false): string | undefined;
function stringFlag(ctx: CommandContext, name: string, required = false): string | undefined {
  const v = ctx.flags[name];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v === '') throw new SvError('SV_ERR_CLI_USAGE', `--${name} needs a value`, [`--${name}: required`]);
  return v;
}

/** A whole number flag within [min, max]; `fallback` when it is not given. */
function intFlag(ctx: CommandContext, name: string, min: number, max: number, fallback: number): number {
  const v = ctx.flags[name];
  if (v === undefined) return fallback;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= min && n <= max))
    throw new SvError('SV_ERR_CLI_USAGE', `--${name} must be a whole number from ${min} to ${max}`, [`--${name}: ${String(v)}`]);
  return n;
}

/** The API keys a removal or a demotion revoked and the invitations it withdrew, for the text output. */
const keysNote = (keys: readonly string[], invites: readonly string[], which = '') =>
  (keys.length === 0 ? '' : `; the API keys they made${which} are revoked: ${keys.join(', ')}`) +
  (invites.length === 0 ? '' : `; their open invitations${which} are withdrawn: ${invites.join(', ')}`);

async function all<T>(list: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let after: (string | number)[] | undefined;
  for (;;) {
    const page = await list({ limit: 500, after });
    out.push(...page.items);
    if (!page.next) return out;
    after = page.next;
  }
}

/** The orgs a list covers: the one named by --org, or every org. */
async function orgsFor(meta: MetaStore, admin: Admin, org: string | undefined): Promise<string[]> {
  if (org !== undefined) return [(await admin.requireOrg(meta, org)).id];
  return (await all((p) => meta.listOrgs(p))).map((o) => o.id);
}

/** Every row of one kind in the `--org` org, or in every org when it is not given. */
async function listInOrgs<T>(
  ctx: CommandContext,
  list: (meta: MetaStore, orgId: string, page: PageRequest) => Promise<Page<T>>,
): Promise<T[]> {
  const org = stringFlag(ctx, 'org');
  return withMeta(configFor(cloudConfig, ctx), async (meta, _, admin) => {
    const out: T[] = [];
    for (const orgId of await orgsFor(meta, admin, org)) out.push(...(await all((p) => list(meta, orgId, p))));
    return out;
  });
}

const ORG_FLAG = { flag: 'org', kind: 'string' as const, help: 'The org (its id or name).' };

const orgCommand: Command = {
  name: 'org',
  summary: 'Manage organizations (tenants): each gateway, device, key and record belongs to one.',
  usage: 'sousvide cloud org add <name> | list',
  subcommands: [
    {
      name: 'add',
      args: 1,
      summary: 'Create an org.',
      usage: 'sousvide cloud org add <name> [--json]',
      config: cloudConfig,
      async run(ctx) {
        const name = one(ctx, 'sousvide cloud org add <name>', 'name');
        const org = await withMeta(configFor(cloudConfig, ctx), (meta, _, admin) => admin.createOrg(meta, name, Date.now(), CLI_FIELDS));
        return print(ctx, org, `org ${org.name} created (id ${org.id})`);
      },
    },
    {
      name: 'list',
      summary: 'List the orgs.',
      usage: 'sousvide cloud org list [--json]',
      config: cloudConfig,
      async run(ctx) {
        const orgs = await withMeta(configFor(cloudConfig, ctx), (meta) => all((p) => meta.listOrgs(p)));
        return print(ctx, orgs, orgs.map((o) => `${o.id}\t${o.name}`).join('\n'));
      },
    },
  ],
};

const gatewayAdmin: Command = {
  name: 'gateway',
  summary: 'Manage gateway tokens.',
  usage: 'sousvide cloud gateway add <id> --org <org> | list [--org <org>] | rotate <id> [--grace-s S] | revoke <id>',
  subcommands: [
    {
      name: 'add',
      args: 1,
      summary: 'Register a gateway in an org and print its token once.',
      usage: 'sousvide cloud gateway add <id> --org <org> [--json]',
      config: cloudConfig,
      flags: [ORG_FLAG],
      async run(ctx) {
        const id = one(ctx, 'sousvide cloud gateway add <id> --org <org>', 'id');
        const org = stringFlag(ctx, 'org', true);
        const g = await withMeta(configFor(cloudConfig, ctx), async (meta, _, admin) =>
          admin.createGateway(meta, id, (await admin.requireOrg(meta, org)).id, Date.now(), { ...CLI_FIELDS, name: 'id' }),
        );
        return print(ctx, g, `gateway ${g.id} registered in ${org}; its token (shown once, store it on the gateway):\n${g.token}`);
      },
    },
    {
      name: 'list',
      summary: 'List gateways (of one org, or of every org).',
      usage: 'sousvide cloud gateway list [--org <org>] [--json]',
      config: cloudConfig,
      flags: [ORG_FLAG],
      async run(ctx) {
        const rows = await listInOrgs(ctx, (meta, orgId, p) => meta.listGateways({ orgId }, p));
        return print(ctx, rows, rows.map((g) => `${g.id}\t${g.orgId}\t${g.revokedMs === null ? 'active' : 'revoked'}`).join('\n'));
      },
    },
    {
      name: 'rotate',
      args: 1,
      summary: 'Give a gateway a new token and print it once; the old one is still accepted for --grace-s seconds.',
      usage: 'sousvide cloud gateway rotate <id> [--grace-s S] [--json]',
      config: cloudConfig,
      flags: [
        {
          flag: 'grace-s',
          kind: 'string',
          help: `Seconds the old token is still accepted, 0 to ${MAX_TOKEN_GRACE_S} (default ${DEFAULT_TOKEN_GRACE_S}; 0 when it leaked).`,
        },
      ],
      async run(ctx) {
        const id = one(ctx, 'sousvide cloud gateway rotate <id>', 'id');
        const graceS = intFlag(ctx, 'grace-s', 0, MAX_TOKEN_GRACE_S, DEFAULT_TOKEN_GRACE_S);
        const rotated = await withMeta(configFor(cloudConfig, ctx), async (meta, _, admin) => {
          const orgId = await meta.orgOf('gateways', id);
          const r = orgId === null ? null : await admin.rotateGatewayToken(meta, { orgId }, id, Date.now(), graceS);
          if (r && orgId !== null) {
            const audit = admin.auditOf(null, Date.now(), 'gateway.token.rotate', null, 'rotated via CLI', {
              gatewayId: id,
              graceS,
              via: 'cli',
              user: ctx.env.USER ?? null,
            });
            await meta.addAudit({ ...audit, orgId });
          }
          return r;
        });
        if (!rotated) throw new SvError('SV_ERR_NOT_FOUND', `gateway ${id} is unknown or revoked`, ['id: no active gateway']);
        const until = rotated.previousTokenUntilMs === null ? 'no longer' : `until ${new Date(rotated.previousTokenUntilMs).toISOString()}`;
        return print(
          ctx,
          rotated,
          `gateway ${id} has a new token (shown once; set it as cloud.token on the gateway and restart it); the old one is accepted ${until}:\n${rotated.token}`,
        );
      },
    },
    {
      name: 'revoke',
      args: 1,
      summary: 'Revoke a gateway token (its batches are refused from then on).',
      usage: 'sousvide cloud gateway revoke <id> [--json]',
      config: cloudConfig,
      async run(ctx) {
        const id = one(ctx, 'sousvide cloud gateway revoke <id>', 'id');
        const revoked = await withMeta(configFor(cloudConfig, ctx), async (meta) => {
          const orgId = await meta.orgOf('gateways', id);
          return orgId !== null && (await meta.revokeGateway({ orgId }, id, Date.now()));
        });
        if (!revoked) throw new SvError('SV_ERR_NOT_FOUND', `gateway ${id} is unknown or already revoked`, ['id: no active gateway']);
        return print(ctx, { id, revoked: true }, `gateway ${id} revoked`);
      },
    },
  ],
};

const keyAdmin: Command = {
  name: 'key',
  summary: 'Manage API keys (for scripts): each belongs to an org, with a role, optionally limited to one gateway.',
  usage: 'sousvide cloud key add --org <org> --role viewer|operator|admin [--gateway <id>] | list [--org <org>] | revoke <id>',
  subcommands: [
    {
      name: 'add',
      summary: 'Create an API key and print it once.',
      usage: 'sousvide cloud key add --org <org> --role viewer|operator|admin [--gateway <id>] [--owner NAME] [--json]',
      config: cloudConfig,
      flags: [
        ORG_FLAG,
        { flag: 'role', kind: 'string', help: 'viewer, operator or admin.' },
        { flag: 'gateway', kind: 'string', help: 'Limit the key to this gateway of the org.' },
        { flag: 'owner', kind: 'string', help: 'Who the key belongs to (recorded in the audit log); default: $USER.' },
      ],
      async run(ctx) {
        const org = stringFlag(ctx, 'org', true);
        const role = stringFlag(ctx, 'role', true);
        const gatewayId = stringFlag(ctx, 'gateway') ?? null;
        const owner = stringFlag(ctx, 'owner') ?? ctx.env.USER ?? 'cli';
        const k = await withMeta(configFor(cloudConfig, ctx), async (meta, _, admin) =>
          admin.createApiKey(meta, { role, owner, orgId: (await admin.requireOrg(meta, org)).id, gatewayId }, Date.now(), CLI_FIELDS),
        );
        return print(
          ctx,
          { id: k.id, key: k.key },
          `API key ${k.id} (${k.role} in ${org}${gatewayId ? `, gateway ${gatewayId} only` : ''}, owner ${owner}); the key (shown once):\n${k.key}`,
        );
      },
    },
    {
      name: 'list',
      summary: 'List API keys (never the keys themselves).',
      usage: 'sousvide cloud key list [--org <org>] [--json]',
      config: cloudConfig,
      flags: [ORG_FLAG],
      async run(ctx) {
        const rows = await listInOrgs(ctx, (meta, orgId, p) => meta.listApiKeys({ orgId }, p));
        return print(
          ctx,
          rows,
          rows
            .map((k) => `${k.id}\t${k.orgId}\t${k.role}\t${k.gatewayId ?? '*'}\t${k.owner}\t${k.revokedMs === null ? 'active' : 'revoked'}`)
            .join('\n'),
        );
      },
    },
    {
      name: 'revoke',
      args: 1,
      summary: 'Revoke an API key.',
      usage: 'sousvide cloud key revoke <id> [--json]',
      config: cloudConfig,
      async run(ctx) {
        const id = one(ctx, 'sousvide cloud key revoke <id>', 'id');
        const revoked = await withMeta(configFor(cloudConfig, ctx), async (meta) => {
          const orgId = await meta.orgOf('api_keys', id);
          return orgId !== null && (await meta.revokeApiKey({ orgId }, id, Date.now()));
        });
        if (!revoked) throw new SvError('SV_ERR_NOT_FOUND', `API key ${id} is unknown or already revoked`, ['id: no active key']);
        return print(ctx, { id, revoked: true }, `API key ${id} revoked`);
      },
    },
  ],
};

/**
 * The org of device `id`: the `--org` org (which must have it), else the one org that has a device
 * of that id. Device ids are per org: when several orgs have one, only `--org` says which is meant.
 */
async function deviceOrg(meta: MetaStore, admin: Admin, id: string, org: string | undefined): Promise<string> {
  if (org !== undefined) {
    const orgId = (await admin.requireOrg(meta, org)).id;
    if (!(await meta.getDevice({ orgId }, id)))
      throw new SvError('SV_ERR_NOT_FOUND', `device ${id} is unknown in org ${org}`, ['id: no such device in the org']);
    return orgId;
  }
  const orgIds = await meta.orgsOfDevice(id);
  if (orgIds.length === 0) throw new SvError('SV_ERR_NOT_FOUND', `device ${id} is unknown`, ['id: no such device']);
  if (orgIds.length === 1) return orgIds[0] as string;
  const names = (await Promise.all(orgIds.map(async (o) => (await meta.findOrg(o))?.name ?? o))).sort();
  throw new SvError('SV_ERR_CLI_USAGE', `device ${id} is in ${names.length} orgs (${names.join(', ')}): pass --org to say which`, [
    `--org: required, orgs ${names.join(', ')} each have a device ${id}`,
  ]);
}

const deviceAdmin: Command = {
  name: 'device',
  summary: 'Device ownership: move a kit to another gateway of its org.',
  usage: 'sousvide cloud device move <id> --to <gateway> [--org <org>] [--reason TEXT]',
  subcommands: [
    {
      name: 'move',
      args: 1,
      summary: 'Bind a kit to another gateway of its org (audited); its records are then accepted only from that gateway.',
      usage: 'sousvide cloud device move <id> --to <gateway> [--org <org>] [--reason TEXT] [--json]',
      config: cloudConfig,
      flags: [
        { flag: 'to', kind: 'string', help: 'The gateway that owns the kit from now on (same org).' },
        { ...ORG_FLAG, help: "The kit's org (its id or name); needed only when several orgs have a kit of that id." },
        { flag: 'reason', kind: 'string', help: 'Why (kept in the audit log).' },
      ],
      async run(ctx) {
        const id = one(ctx, 'sousvide cloud device move <id> --to <gateway> [--org <org>]', 'id');
        if (!DeviceId.safeParse(id).success) throw new SvError('SV_ERR_CLI_USAGE', `invalid device id "${id}"`, ['id: not a device id']);
        const to = stringFlag(ctx, 'to', true);
        const org = stringFlag(ctx, 'org');
        const reason = stringFlag(ctx, 'reason') ?? 'moved via CLI';
        const moved = await withMeta(configFor(cloudConfig, ctx), async (meta, _, admin) => {
          const orgId = await deviceOrg(meta, admin, id, org);
          const audit = admin.auditOf(null, Date.now(), 'device.move', id, reason, { via: 'cli', user: ctx.env.USER ?? null });
          const row = await meta.moveDevice({ orgId }, id, to, Date.now(), { ...audit, orgId });
          if (!row) throw new SvError('SV_ERR_NOT_FOUND', `gateway ${to} is unknown in the device's org`, ['--to: no such active gateway']);
          return row;
        });
        return print(ctx, moved, `device ${id} now belongs to gateway ${moved.gatewayId}`);
      },
    },
  ],
};

async function readPassword(ctx: CommandContext): Promise<string | undefined> {
  if (ctx.flags['password-stdin'] !== true) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

const PASSWORD_FLAG = {
  flag: 'password-stdin',
  kind: 'bool' as const,
  help: 'Read the password from standard input (else an invitation link is printed).',
};

const publicUrl = (config: CloudConfig) => config.http.publicUrl ?? `http://localhost:${config.port}`;

const userAdmin: Command = {
  name: 'user',
  summary: 'Manage dashboard users: each belongs to one org, with a role.',
  usage:
    'sousvide cloud user add <email> --org <org> --role viewer|operator|admin [--password-stdin] | remove <email> | role <email> viewer|operator|admin',
  subcommands: [
    {
      name: 'add',
      args: 1,
      summary: 'Create a user and print a one-time invitation link (or take the password from stdin).',
      usage: 'sousvide cloud user add <email> --org <org> --role viewer|operator|admin [--password-stdin] [--json]',
      config: cloudConfig,
      flags: [ORG_FLAG, { flag: 'role', kind: 'string', help: 'viewer, operator or admin.' }, PASSWORD_FLAG],
      async run(ctx) {
        const email = one(ctx, 'sousvide cloud user add <email> --org <org> --role <role>', 'email');
        const org = stringFlag(ctx, 'org', true);
        const role = stringFlag(ctx, 'role', true);
        const password = await readPassword(ctx);
        const config = configFor(cloudConfig, ctx);
        const u = await withMeta(config, async (meta, _, admin) =>
          admin.createUser(
            meta,
            { email, role, orgId: (await admin.requireOrg(meta, org)).id, password, publicUrl: publicUrl(config) },
            Date.now(),
            CLI_FIELDS,
          ),
        );
        return print(
          ctx,
          u,
          u.inviteUrl ? `user ${email} created; the invitation link (works once, 7 days):\n${u.inviteUrl}` : `user ${email} created`,
        );
      },
    },
    {
      name: 'remove',
      args: 1,
      summary: 'Remove a user: their sessions end, their invitation dies, the e-mail may be invited again (audited).',
      usage: 'sousvide cloud user remove <email> [--json]',
      config: cloudConfig,
      async run(ctx) {
        const email = one(ctx, 'sousvide cloud user remove <email>', 'email').trim().toLowerCase();
        const removed = await withMeta(configFor(cloudConfig, ctx), async (meta, _, admin) => {
          const u = await meta.users.userByEmail(email);
          const row = u ? await meta.users.removeUser({ orgId: u.orgId }, u.id, Date.now()) : null;
          if (row === 'last-admin')
            throw new SvError('SV_ERR_CONFLICT', `${email} is the only admin of its org; add or promote another admin first`, [
              'email: the only admin of the org',
            ]);
          if (!row) return null;
          const audit = admin.auditOf(null, Date.now(), 'user.remove', null, 'removed via CLI', {
            removedUserId: row.id,
            email: row.email,
            removedRole: row.role,
            revokedKeys: row.revokedKeys,
            withdrawnInvites: row.withdrawnInvites,
            via: 'cli',
            user: ctx.env.USER ?? null,
          });
          await meta.addAudit({ ...audit, orgId: row.orgId });
          return row;
        });
        if (!removed) throw new SvError('SV_ERR_NOT_FOUND', `no user ${email}`, ['email: no such user']);
        return print(
          ctx,
          {
            id: removed.id,
            email: removed.email,
            orgId: removed.orgId,
            removed: true,
            revokedKeys: removed.revokedKeys,
            withdrawnInvites: removed.withdrawnInvites,
          },
          `user ${email} removed${keysNote(removed.revokedKeys, removed.withdrawnInvites)}`,
        );
      },
    },
    {
      name: 'role',
      args: 2,
      summary: "Change a user's role, in any org (audited); the org's only admin is not demoted.",
      usage: 'sousvide cloud user role <email> viewer|operator|admin [--json]',
      config: cloudConfig,
      async run(ctx) {
        const usage = 'sousvide cloud user role <email> viewer|operator|admin';
        const email = one(ctx, usage, 'email').trim().toLowerCase();
        const role = ctx.positionals[1];
        if (!role) throw new SvError('SV_ERR_CLI_USAGE', `usage: ${usage}`, ['role: required']);
        if (!ROLES.includes(role as Role))
          throw new SvError('SV_ERR_VALIDATION', `invalid role "${role}" (one of ${ROLES.join(', ')})`, [
            `role: one of ${ROLES.join(', ')}`,
          ]);
        const changed = await withMeta(configFor(cloudConfig, ctx), async (meta, _, admin) => {
          const u = await meta.users.userByEmail(email);
          const r = u ? await meta.users.changeRole({ orgId: u.orgId }, u.id, role as Role, Date.now()) : null;
          if (r === 'last-admin')
            throw new SvError('SV_ERR_CONFLICT', `${email} is the only admin of its org; add or promote another admin first`, [
              'email: the only admin of the org',
            ]);
          if (!r || r.oldRole === role) return r;
          const audit = admin.auditOf(null, Date.now(), 'user.role', null, 'role changed via CLI', {
            changedUserId: r.user.id,
            email: r.user.email,
            oldRole: r.oldRole,
            newRole: role,
            revokedKeys: r.revokedKeys,
            withdrawnInvites: r.withdrawnInvites,
            via: 'cli',
            user: ctx.env.USER ?? null,
          });
          await meta.addAudit({ ...audit, orgId: r.user.orgId });
          return r;
        });
        if (!changed) throw new SvError('SV_ERR_NOT_FOUND', `no user ${email}`, ['email: no such user']);
        const { user, oldRole, revokedKeys, withdrawnInvites } = changed;
        return print(
          ctx,
          { id: user.id, email: user.email, orgId: user.orgId, role: user.role, oldRole, revokedKeys, withdrawnInvites },
          oldRole === role
            ? `user ${email} is already ${role}`
            : `user ${email}: ${oldRole} -> ${role}${keysNote(revokedKeys, withdrawnInvites, ` above ${role}`)}`,
        );
      },
    },
  ],
};

const serviceAdmin: Command = {
  name: 'admin',
  summary: 'Service admins: they create orgs (a user of the default org with the admin role).',
  usage: 'sousvide cloud admin add <email> [--password-stdin]',
  subcommands: [
    {
      name: 'add',
      args: 1,
      summary: 'Create a service admin and print a one-time invitation link (or take the password from stdin).',
      usage: 'sousvide cloud admin add <email> [--password-stdin] [--json]',
      config: cloudConfig,
      flags: [PASSWORD_FLAG],
      async run(ctx) {
        const email = one(ctx, 'sousvide cloud admin add <email>', 'email');
        const password = await readPassword(ctx);
        const config = configFor(cloudConfig, ctx);
        const u = await withMeta(config, (meta, _, { createUser }) =>
          createUser(
            meta,
            { email, role: 'admin', orgId: DEFAULT_ORG, serviceAdmin: true, password, publicUrl: publicUrl(config) },
            Date.now(),
            CLI_FIELDS,
          ),
        );
        return print(
          ctx,
          u,
          u.inviteUrl
            ? `service admin ${email} created; the invitation link (works once, 7 days):\n${u.inviteUrl}`
            : `service admin ${email} created`,
        );
      },
    },
  ],
};

export const CLOUD_ADMIN_COMMANDS: Command[] = [orgCommand, gatewayAdmin, keyAdmin, userAdmin, serviceAdmin, deviceAdmin];
