import type { Dialect } from './driver.js';

/**
 * Versioned schema migrations, applied in order by `sousvide cloud migrate` and at start, and
 * recorded in schema_migrations. Never edit a released migration: add the next version.
 * Ids are ASCII binary in MySQL so that `a` and `A` stay two ids (RecordId is case-sensitive).
 */
export interface Migration {
  version: number;
  name: string;
  up: Record<Dialect, string[]>;
}

const ID = { mysql: 'VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin', sqlite: 'TEXT' } as const;
const TXT = { mysql: 'TEXT', sqlite: 'TEXT' } as const;
const I64 = { mysql: 'BIGINT', sqlite: 'INTEGER' } as const;
/** Notification ids: an event id, or a longer derived one (`gwoff-<gateway>-<last seen>`). */
const NID = { mysql: 'VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin', sqlite: 'TEXT' } as const;
const SERIAL = { mysql: 'BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY', sqlite: 'INTEGER PRIMARY KEY AUTOINCREMENT' } as const;
const ENGINE = { mysql: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4', sqlite: '' } as const;

function both(make: (d: Dialect) => string[]): Record<Dialect, string[]> {
  return { mysql: make('mysql'), sqlite: make('sqlite') };
}

function ix(d: Dialect, table: string, name: string, cols: string): string {
  return d === 'mysql' ? `CREATE INDEX ${name} ON ${table} (${cols})` : `CREATE INDEX IF NOT EXISTS ${name} ON ${table} (${cols})`;
}

/** Tables whose rows belong to one org (migration 3). */
const ORG_TABLES = ['gateways', 'devices', 'events', 'audit', 'command_results', 'cooks', 'desired_cooks', 'api_keys', 'dead_letters'];

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'gateways, devices, events, audit, command results, cooks, desired state, api keys',
    up: both((d) => [
      `CREATE TABLE gateways (id ${ID[d]} NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, token_hash CHAR(64) NOT NULL UNIQUE,
        created_ms ${I64[d]} NOT NULL, revoked_ms ${I64[d]} NULL, last_seen_ms ${I64[d]} NULL, backlog ${TXT[d]} NULL,
        desired_version ${I64[d]} NOT NULL DEFAULT 0)${ENGINE[d]}`,
      `CREATE TABLE devices (id ${ID[d]} NOT NULL PRIMARY KEY, gateway_id ${ID[d]} NOT NULL, first_seen_ms ${I64[d]} NOT NULL,
        last_seen_ms ${I64[d]} NOT NULL)${ENGINE[d]}`,
      ix(d, 'devices', 'devices_gateway', 'gateway_id, id'),
      `CREATE TABLE events (id ${ID[d]} NOT NULL PRIMARY KEY, gateway_id ${ID[d]} NOT NULL, device_id ${ID[d]} NULL,
        type VARCHAR(48) NOT NULL, severity VARCHAR(16) NOT NULL, ts ${I64[d]} NOT NULL, safety SMALLINT NOT NULL, data ${TXT[d]} NOT NULL)${ENGINE[d]}`,
      ix(d, 'events', 'events_ts', 'ts, id'),
      ix(d, 'events', 'events_device_ts', 'device_id, ts'),
      ix(d, 'events', 'events_severity_ts', 'severity, ts'),
      `CREATE TABLE audit (id ${ID[d]} NOT NULL PRIMARY KEY, gateway_id ${ID[d]} NULL, ts ${I64[d]} NOT NULL,
        actor_type VARCHAR(16) NOT NULL, actor_id VARCHAR(64) NULL, device_id ${ID[d]} NULL, action VARCHAR(48) NOT NULL,
        reason VARCHAR(256) NOT NULL, data ${TXT[d]} NOT NULL)${ENGINE[d]}`,
      ix(d, 'audit', 'audit_ts', 'ts, id'),
      ix(d, 'audit', 'audit_device_ts', 'device_id, ts'),
      `CREATE TABLE command_results (id ${ID[d]} NOT NULL PRIMARY KEY, gateway_id ${ID[d]} NOT NULL, device_id ${ID[d]} NOT NULL,
        op VARCHAR(8) NOT NULL, expect VARCHAR(4) NULL, issued_ts ${I64[d]} NOT NULL, ack_ts ${I64[d]} NULL, outcome VARCHAR(16) NOT NULL,
        heater SMALLINT NULL, err VARCHAR(64) NULL, attempts SMALLINT NOT NULL)${ENGINE[d]}`,
      ix(d, 'command_results', 'command_results_device', 'device_id, issued_ts'),
      `CREATE TABLE cooks (id ${ID[d]} NOT NULL PRIMARY KEY, gateway_id ${ID[d]} NOT NULL, device_id ${ID[d]} NOT NULL,
        version ${I64[d]} NOT NULL, state VARCHAR(16) NOT NULL, spec ${TXT[d]} NOT NULL, started_ts ${I64[d]} NOT NULL,
        updated_ts ${I64[d]} NOT NULL)${ENGINE[d]}`,
      ix(d, 'cooks', 'cooks_device', 'device_id, version'),
      `CREATE TABLE desired_cooks (device_id ${ID[d]} NOT NULL PRIMARY KEY, gateway_id ${ID[d]} NOT NULL, cook_id ${ID[d]} NOT NULL,
        version ${I64[d]} NOT NULL, spec ${TXT[d]} NULL, updated_ts ${I64[d]} NOT NULL)${ENGINE[d]}`,
      ix(d, 'desired_cooks', 'desired_cooks_gateway', 'gateway_id'),
      `CREATE TABLE api_keys (id ${ID[d]} NOT NULL PRIMARY KEY, key_hash CHAR(64) NOT NULL UNIQUE, role VARCHAR(16) NOT NULL,
        owner VARCHAR(64) NOT NULL, created_ms ${I64[d]} NOT NULL, revoked_ms ${I64[d]} NULL)${ENGINE[d]}`,
    ]),
  },
  {
    version: 2,
    name: 'dead letters: invalid records of well-formed batches',
    up: both((d) => [
      `CREATE TABLE dead_letters (gateway_id ${ID[d]} NOT NULL, batch_id ${ID[d]} NOT NULL, idx INT NOT NULL,
        reasons ${TXT[d]} NOT NULL, payload ${TXT[d]} NOT NULL, received_ms ${I64[d]} NOT NULL,
        PRIMARY KEY (gateway_id, batch_id, idx))${ENGINE[d]}`,
      ix(d, 'dead_letters', 'dead_letters_received', 'received_ms'),
    ]),
  },
  {
    version: 3,
    name: 'organizations: every row belongs to one org (existing rows to the default org); device ownership; scoped keys',
    up: both((d) => [
      `CREATE TABLE orgs (id ${ID[d]} NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL UNIQUE, created_ms ${I64[d]} NOT NULL)${ENGINE[d]}`,
      `INSERT INTO orgs (id, name, created_ms) VALUES ('default', 'default', 0)`,
      ...ORG_TABLES.map((t) => `ALTER TABLE ${t} ADD COLUMN org_id ${ID[d]} NOT NULL DEFAULT 'default'`),
      `ALTER TABLE api_keys ADD COLUMN gateway_id ${ID[d]} NULL`,
      // Existing devices stay with the gateway that reported them last: that gateway now owns them.
      `ALTER TABLE devices ADD COLUMN revoked_ms ${I64[d]} NULL`,
      ix(d, 'gateways', 'gateways_org', 'org_id, id'),
      ix(d, 'devices', 'devices_org', 'org_id, id'),
      ix(d, 'events', 'events_org_ts', 'org_id, ts, id'),
      ix(d, 'audit', 'audit_org_ts', 'org_id, ts, id'),
      ix(d, 'api_keys', 'api_keys_org', 'org_id, id'),
      ix(d, 'dead_letters', 'dead_letters_org', 'org_id, received_ms'),
    ]),
  },
  {
    version: 4,
    name: 'user accounts (one org each), invitations, server-side sessions',
    up: both((d) => [
      `CREATE TABLE users (id ${ID[d]} NOT NULL PRIMARY KEY, org_id ${ID[d]} NOT NULL, email VARCHAR(254) NOT NULL UNIQUE,
        password_hash VARCHAR(255) NULL, role VARCHAR(16) NOT NULL, service_admin SMALLINT NOT NULL DEFAULT 0,
        created_ms ${I64[d]} NOT NULL, password_ms ${I64[d]} NULL, disabled_ms ${I64[d]} NULL)${ENGINE[d]}`,
      ix(d, 'users', 'users_org', 'org_id, id'),
      `CREATE TABLE invites (token_hash CHAR(64) NOT NULL PRIMARY KEY, user_id ${ID[d]} NOT NULL, org_id ${ID[d]} NOT NULL,
        created_ms ${I64[d]} NOT NULL, expires_ms ${I64[d]} NOT NULL, used_ms ${I64[d]} NULL)${ENGINE[d]}`,
      `CREATE TABLE sessions (id_hash CHAR(64) NOT NULL PRIMARY KEY, user_id ${ID[d]} NULL, org_id ${ID[d]} NULL,
        expires_ms ${I64[d]} NOT NULL, data ${TXT[d]} NOT NULL)${ENGINE[d]}`,
      ix(d, 'sessions', 'sessions_user', 'user_id'),
      ix(d, 'sessions', 'sessions_expires', 'expires_ms'),
    ]),
  },
  {
    version: 5,
    name: 'alarms: one row per alarm (raised, acknowledged, cleared), per org; acknowledgements waiting to go down',
    up: both((d) => [
      `CREATE TABLE alarms (id ${ID[d]} NOT NULL PRIMARY KEY, org_id ${ID[d]} NOT NULL, gateway_id ${ID[d]} NOT NULL,
        device_id ${ID[d]} NULL, type VARCHAR(48) NOT NULL, severity VARCHAR(16) NOT NULL, raised_ts ${I64[d]} NOT NULL,
        text VARCHAR(500) NOT NULL, acked_by VARCHAR(128) NULL, acked_ts ${I64[d]} NULL, note VARCHAR(500) NULL,
        cleared_ts ${I64[d]} NULL, cleared_how VARCHAR(48) NULL, ack_down SMALLINT NOT NULL DEFAULT 0)${ENGINE[d]}`,
      ix(d, 'alarms', 'alarms_org_raised', 'org_id, raised_ts, id'),
      ix(d, 'alarms', 'alarms_down', 'gateway_id, ack_down'),
    ]),
  },
  {
    version: 6,
    name: 'cook presets per org (name, spec), as on the gateway',
    up: both((d) => [
      `CREATE TABLE presets (org_id ${ID[d]} NOT NULL, name ${ID[d]} NOT NULL, spec ${TXT[d]} NOT NULL,
        updated_ts ${I64[d]} NOT NULL, PRIMARY KEY (org_id, name))${ENGINE[d]}`,
    ]),
  },
  {
    version: 7,
    name: 'notifications per org: channels, notifications (idempotency key: the event id), durable delivery rows',
    up: both((d) => [
      `CREATE TABLE notify_channels (id ${ID[d]} NOT NULL PRIMARY KEY, org_id ${ID[d]} NOT NULL, kind VARCHAR(16) NOT NULL,
        config ${TXT[d]} NOT NULL, created_ms ${I64[d]} NOT NULL)${ENGINE[d]}`,
      ix(d, 'notify_channels', 'notify_channels_org', 'org_id, id'),
      `CREATE TABLE notifications (org_id ${ID[d]} NOT NULL, id ${NID[d]} NOT NULL, gateway_id ${ID[d]} NULL, device_id ${ID[d]} NULL,
        type VARCHAR(48) NOT NULL, severity VARCHAR(16) NOT NULL, ts ${I64[d]} NOT NULL, body ${TXT[d]} NOT NULL,
        created_ms ${I64[d]} NOT NULL, PRIMARY KEY (org_id, id))${ENGINE[d]}`,
      `CREATE TABLE notify_deliveries (id ${SERIAL[d]}, org_id ${ID[d]} NOT NULL, notification_id ${NID[d]} NOT NULL,
        channel_id ${ID[d]} NOT NULL, kind VARCHAR(16) NOT NULL, state VARCHAR(8) NOT NULL, attempts INT NOT NULL DEFAULT 0,
        next_ts ${I64[d]} NOT NULL, last_ts ${I64[d]} NULL, last_error VARCHAR(300) NULL, created_ms ${I64[d]} NOT NULL,
        UNIQUE (org_id, notification_id, channel_id))${ENGINE[d]}`,
      ix(d, 'notify_deliveries', 'notify_deliveries_due', 'state, next_ts'),
      ix(d, 'notify_deliveries', 'notify_deliveries_org', 'org_id, id'),
    ]),
  },
  {
    version: 8,
    name: 'gateways: the highest cook target each accepts (its control.maxC less the overshoot margin), as it reports it',
    up: both((d) => [`ALTER TABLE gateways ADD COLUMN max_target_c ${d === 'mysql' ? 'DOUBLE' : 'REAL'} NULL`]),
  },
  {
    version: 9,
    name: 'device ids are per org: devices keyed by (org_id, id), desired cooks by (org_id, device_id)',
    up: {
      // MySQL commits each DDL statement: each ALTER is one table's whole change, and the first one
      // may run again as it is should the second fail. devices_org (org_id, id) is the primary key
      // now; an index on id alone serves the look-up of a device id across orgs (orgsOfDevice).
      mysql: [
        'ALTER TABLE desired_cooks DROP PRIMARY KEY, ADD PRIMARY KEY (org_id, device_id)',
        'ALTER TABLE devices DROP PRIMARY KEY, ADD PRIMARY KEY (org_id, id), DROP INDEX devices_org, ADD INDEX devices_id (id)',
      ],
      // SQLite cannot change a primary key: each table is rebuilt with the same columns, in the
      // same order, and its rows copied (migrate runs a SQLite migration in one transaction).
      sqlite: [
        ...rebuild(
          'desired_cooks',
          `device_id TEXT NOT NULL, gateway_id TEXT NOT NULL, cook_id TEXT NOT NULL, version INTEGER NOT NULL, spec TEXT NULL,
          updated_ts INTEGER NOT NULL, org_id TEXT NOT NULL DEFAULT 'default', PRIMARY KEY (org_id, device_id)`,
          'device_id, gateway_id, cook_id, version, spec, updated_ts, org_id',
        ),
        ix('sqlite', 'desired_cooks', 'desired_cooks_gateway', 'gateway_id'),
        ...rebuild(
          'devices',
          `id TEXT NOT NULL, gateway_id TEXT NOT NULL, first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL,
          org_id TEXT NOT NULL DEFAULT 'default', revoked_ms INTEGER NULL, PRIMARY KEY (org_id, id)`,
          'id, gateway_id, first_seen_ms, last_seen_ms, org_id, revoked_ms',
        ),
        ix('sqlite', 'devices', 'devices_gateway', 'gateway_id, id'),
        ix('sqlite', 'devices', 'devices_id', 'id'),
      ],
    },
  },
  {
    version: 10,
    name: "a device's cooks, command results, events and audit are found through org-leading indexes",
    // Device ids are per org (version 9), so many orgs have a `kit-1`: an index that leads with the
    // device id alone made one org's query walk every org's rows of that id, and GET /v1/cooks read
    // every org's cooks. The old device-leading indexes go, so the optimizer cannot pick them.
    up: both((d) => [
      ix(d, 'cooks', 'cooks_org_device', 'org_id, device_id, updated_ts'),
      ix(d, 'cooks', 'cooks_org_started', 'org_id, started_ts'),
      ix(d, 'command_results', 'command_results_org_device', 'org_id, device_id, issued_ts'),
      ix(d, 'events', 'events_org_device', 'org_id, device_id, ts'),
      ix(d, 'audit', 'audit_org_device', 'org_id, device_id, ts'),
      ...[
        ['cooks', 'cooks_device'],
        ['command_results', 'command_results_device'],
        ['events', 'events_device_ts'],
        ['audit', 'audit_device_ts'],
      ].map(([table, name]) => (d === 'mysql' ? `DROP INDEX ${name} ON ${table}` : `DROP INDEX IF EXISTS ${name}`)),
    ]),
  },
  {
    version: 11,
    name: "gateways: a rotated token's predecessor, valid until the end of its grace",
    // MySQL commits each DDL statement on its own: one ALTER, so that a failure half-way (a lock
    // wait, a lost connection) leaves nothing applied and the next start simply runs it again.
    up: {
      mysql: [
        'ALTER TABLE gateways ADD COLUMN prev_token_hash CHAR(64) NULL, ADD COLUMN prev_token_until_ms BIGINT NULL, ADD INDEX gateways_prev_token (prev_token_hash)',
      ],
      sqlite: [
        'ALTER TABLE gateways ADD COLUMN prev_token_hash CHAR(64) NULL',
        'ALTER TABLE gateways ADD COLUMN prev_token_until_ms INTEGER NULL',
        ix('sqlite', 'gateways', 'gateways_prev_token', 'prev_token_hash'),
      ],
    },
  },
  {
    version: 12,
    name: 'api keys and invitations: the user who made each (directly or through a key the user made)',
    // One ALTER a table on MySQL: a statement that fails leaves its table as it was.
    up: {
      mysql: [
        'ALTER TABLE api_keys ADD COLUMN created_by VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD INDEX api_keys_org_creator (org_id, created_by)',
        'ALTER TABLE invites ADD COLUMN invited_by VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD INDEX invites_org_inviter (org_id, invited_by)',
      ],
      sqlite: [
        'ALTER TABLE api_keys ADD COLUMN created_by TEXT NULL',
        ix('sqlite', 'api_keys', 'api_keys_org_creator', 'org_id, created_by'),
        'ALTER TABLE invites ADD COLUMN invited_by TEXT NULL',
        ix('sqlite', 'invites', 'invites_org_inviter', 'org_id, invited_by'),
      ],
    },
  },
  {
    version: 13,
    name: 'devices: the gateway a kit was moved from and when, and when it was last provisioned again under its id',
    // ADR 082: records a kit's last owner stamped before a move or a revocation are still taken, and
    // a replacement unit under the same id starts the kit's latest state over (its epoch).
    up: {
      mysql: [
        'ALTER TABLE devices ADD COLUMN moved_from VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD COLUMN moved_ms BIGINT NULL, ADD COLUMN provisioned_ms BIGINT NULL',
      ],
      sqlite: [
        'ALTER TABLE devices ADD COLUMN moved_from TEXT NULL',
        'ALTER TABLE devices ADD COLUMN moved_ms INTEGER NULL',
        'ALTER TABLE devices ADD COLUMN provisioned_ms INTEGER NULL',
      ],
    },
  },
];

/** SQLite: `table` rebuilt with `columns` (its new definition), its rows copied; its indexes are the caller's to make again. */
function rebuild(table: string, columns: string, names: string): string[] {
  return [
    `CREATE TABLE ${table}_rebuilt (${columns})`,
    `INSERT INTO ${table}_rebuilt (${names}) SELECT ${names} FROM ${table}`,
    `DROP TABLE ${table}`,
    `ALTER TABLE ${table}_rebuilt RENAME TO ${table}`,
  ];
}

export const MIGRATIONS_TABLE = {
  mysql: `CREATE TABLE IF NOT EXISTS schema_migrations (version INT NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_ms BIGINT NOT NULL) ENGINE=InnoDB`,
  sqlite: `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)`,
} as const;
