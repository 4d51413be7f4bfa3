import type { Database } from 'better-sqlite3';
import { writeTransaction } from './write-transaction.js';

/**
 * Versioned migrations of the gateway's SQLite store. Each runs once, in order, inside a
 * transaction; `PRAGMA user_version` records the last one applied.
 */
const MIGRATIONS: readonly string[] = [
  // 1: identity, ingestion, dead letters, security log, outbox
  `
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    auth TEXT NOT NULL CHECK (auth IN ('secret', 'cert')),
    secret_hash TEXT,
    cert_fingerprint TEXT,
    created_ts INTEGER NOT NULL,
    rotated_ts INTEGER,
    revoked_ts INTEGER
  );
  CREATE TABLE telemetry (
    device_id TEXT NOT NULL,
    boot INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    ts INTEGER,
    rx_ts INTEGER NOT NULL,
    temp_c REAL,
    sensor TEXT NOT NULL,
    heater INTEGER NOT NULL,
    rssi INTEGER,
    PRIMARY KEY (device_id, boot, seq)
  ) WITHOUT ROWID;
  CREATE INDEX telemetry_by_rx ON telemetry (rx_ts);
  CREATE INDEX telemetry_by_device_rx ON telemetry (device_id, rx_ts);
  CREATE TABLE device_status (
    device_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    boot INTEGER NOT NULL,
    fw TEXT,
    profile TEXT,
    rx_ts INTEGER NOT NULL
  );
  CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY,
    rx_ts INTEGER NOT NULL,
    device_id TEXT,
    topic TEXT NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    payload BLOB NOT NULL
  );
  CREATE INDEX dead_letters_by_rx ON dead_letters (rx_ts);
  CREATE TABLE security_events (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    kind TEXT NOT NULL,
    device_id TEXT,
    remote TEXT,
    detail TEXT NOT NULL
  );
  CREATE INDEX security_events_by_ts ON security_events (ts);
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    priority INTEGER NOT NULL,
    kind TEXT NOT NULL,
    record TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    created_ts INTEGER NOT NULL
  );
  CREATE INDEX outbox_by_priority ON outbox (priority, id);
  CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT INTO meta (key, value) VALUES ('devices_rev', 0);
  -- Any change to the devices table bumps devices_rev, which the running gateway polls.
  CREATE TRIGGER devices_rev_ins AFTER INSERT ON devices BEGIN UPDATE meta SET value = value + 1 WHERE key = 'devices_rev'; END;
  CREATE TRIGGER devices_rev_upd AFTER UPDATE ON devices BEGIN UPDATE meta SET value = value + 1 WHERE key = 'devices_rev'; END;
  CREATE TRIGGER devices_rev_del AFTER DELETE ON devices BEGIN UPDATE meta SET value = value + 1 WHERE key = 'devices_rev'; END;
  `,
  // 2: control: cooks, events, audit (kept locally for the local API; relayed via the outbox)
  `
  CREATE TABLE cooks (
    device_id TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    spec TEXT NOT NULL,
    started_ts INTEGER NOT NULL,
    updated_ts INTEGER NOT NULL
  );
  CREATE TABLE events (
    id TEXT PRIMARY KEY,
    device_id TEXT,
    type TEXT NOT NULL,
    severity TEXT NOT NULL,
    safety INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    data TEXT NOT NULL,
    acked_ts INTEGER
  );
  CREATE INDEX events_by_ts ON events (ts);
  CREATE TABLE audit (
    id TEXT PRIMARY KEY,
    ts INTEGER NOT NULL,
    actor TEXT NOT NULL,
    actor_id TEXT,
    device_id TEXT,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX audit_by_ts ON audit (ts);
  `,
  // 3: relay state that must survive a restart (gateway/relay/, docs/sync.md): the desired-state
  // version applied, and dropped records by reason (totals, and the part not yet reported)
  `
  INSERT INTO meta (key, value) VALUES ('relay_desired_version', 0), ('relay_drops_since', 0);
  CREATE TABLE relay_drops (
    reason TEXT PRIMARY KEY,
    total INTEGER NOT NULL,
    pending INTEGER NOT NULL
  );
  `,
  // 4: notifications (gateway/notify/): one row per notification, one delivery row per channel with
  // its attempts, next attempt and last error; written with the event that causes them
  `
  CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    device_id TEXT,
    type TEXT NOT NULL,
    severity TEXT NOT NULL,
    ts INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  CREATE TABLE notify_deliveries (
    id INTEGER PRIMARY KEY,
    notification_id TEXT NOT NULL REFERENCES notifications (id),
    channel TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_ts INTEGER NOT NULL,
    last_ts INTEGER,
    last_error TEXT,
    UNIQUE (notification_id, channel)
  );
  CREATE INDEX notify_deliveries_due ON notify_deliveries (next_ts) WHERE state = 'pending';
  CREATE INDEX notify_deliveries_recent ON notify_deliveries (last_ts);
  `,
  // 5: alarms (shared/alarms/lifecycle.ts): raised by control events, acknowledged by a person here
  // or in the cloud, cleared when the cause ends; one row each, its steps audited (ADR 035)
  `
  CREATE TABLE alarms (
    id TEXT PRIMARY KEY,
    device_id TEXT,
    type TEXT NOT NULL,
    severity TEXT NOT NULL,
    raised_ts INTEGER NOT NULL,
    text TEXT NOT NULL,
    acked_by TEXT,
    acked_ts INTEGER,
    note TEXT,
    cleared_ts INTEGER,
    cleared_how TEXT
  );
  CREATE INDEX alarms_by_raised ON alarms (raised_ts, id);
  CREATE INDEX alarms_uncleared ON alarms (device_id, type) WHERE cleared_ts IS NULL;
  `,
  // 6: readings in order need no per-device time index (gateway/store/telemetry-order.ts, ADR 044):
  // a reading that arrives after every earlier one of its kit (late = 0) is found through the
  // primary key; only late readings (replays, a reflashed kit) and one in 64 marks are indexed by
  // time. Rows stored before this migration count as late, so the late index holds them all.
  `
  ALTER TABLE telemetry ADD COLUMN late INTEGER NOT NULL DEFAULT 1;
  DROP INDEX telemetry_by_device_rx;
  CREATE INDEX telemetry_late_by_device_rx ON telemetry (device_id, rx_ts) WHERE late = 1;
  CREATE INDEX telemetry_marks_by_device_rx ON telemetry (device_id, rx_ts) WHERE late = 0 AND seq % 64 = 0;
  `,
  // 7: when the running cook reached its target and when it was done (wall clock; null: not yet, or
  // the target changed since), so a restart resumes the cook in its phase with its timer
  // (docs/control.md). Gateway-local: the relay's cook record does not carry them.
  `
  ALTER TABLE cooks ADD COLUMN reached_ts INTEGER;
  ALTER TABLE cooks ADD COLUMN done_ts INTEGER;
  `,
  // 8: the notifier's alarms that notified and are not over yet, one row per kit and alarm type
  // (gateway/notify/, ADR 081): their end is told once, also after a restart; `open` holds the
  // reminders of a critical one (its first notification, last notice time, count) while they go on.
  // Written with the event, reminder or acknowledgement that changes them.
  `
  CREATE TABLE notified_alarms (
    device_id TEXT NOT NULL,
    type TEXT NOT NULL,
    open TEXT,
    PRIMARY KEY (device_id, type)
  ) WITHOUT ROWID;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the store to the newest schema (or, for the migration tests, to `upTo`). */
export function migrate(db: Database, upTo = MIGRATIONS.length): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`gateway store is at schema ${current}, newer than this build (${MIGRATIONS.length}); upgrade the gateway`);
  }
  for (let v = current; v < Math.min(upTo, MIGRATIONS.length); v++) {
    writeTransaction(db, () => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return Math.max(current, Math.min(upTo, MIGRATIONS.length));
}
