import { clearedBy } from '../../../shared/alarms/lifecycle.js';
import type { AttemptResult } from '../../../shared/notify/backoff.js';
import { CLEARED_BY, type CookOutlook, type NotifiableEvent, type Notification, outlookOf } from '../../../shared/notify/message.js';
import {
  makesNotified,
  mayResolve,
  NOTIFIED_SEVERITIES,
  neverNoticeFor,
  notificationFor,
  STOP_ENDS_REMINDERS_OF,
} from '../../../shared/notify/rules.js';
import type { ChannelKind, ChannelRow, ChannelSpec } from '../../notify/channel-spec.js';
import { type ChannelKeys, NO_KEYS, open, seal } from '../../notify/sealed-config.js';
import type {
  ConfigKeyCounts,
  ConfigsAtRest,
  DeliveryFilter,
  DeliveryRow,
  DueDelivery,
  NotifyIngestRules,
  NotifyStore,
  OpenCriticalAlarm,
  Page,
  PageRequest,
  Scope,
  SilentGateway,
} from '../types.js';
import type { SqlDriver, SqlValue } from './driver.js';
import { configKeys, sealAtRest } from './notify-at-rest.js';
import { paged } from './rows.js';

/**
 * Events relayed longer than this after they happened notify no more (notify.maxEventAgeMin's
 * default): the gateway told the cook on the LAN at the time, and a relay backlog drained after an
 * outage must not replay "the water is ready" or an alarm long over.
 */
export const NOTIFY_MAX_EVENT_AGE_MS = 10 * 60_000;

export const defaultIngestRules = (): NotifyIngestRules => ({ maxEventAgeMs: NOTIFY_MAX_EVENT_AGE_MS, skipped: () => {} });

type Row = Record<string, unknown>;

/**
 * The one read of a stored `config` (ADR 076, 077): plain JSON as it is, a sealed value opened with
 * notify.secretsKey or a previous key. One that does not open (notify.secretsKey unset or wrong)
 * is not thrown: the caller keeps the row (listed as sealed; its deliveries fail with the reason
 * and are retried by the policy), so that one such channel never fails an org's list or the
 * delivery worker.
 */
export function readConfig(keys: ChannelKeys, channelId: string, stored: unknown): { spec: ChannelSpec } | { unreadable: string } {
  let json: string;
  try {
    json = open(String(stored), keys, channelId);
  } catch (err) {
    return { unreadable: (err as Error).message };
  }
  try {
    return { spec: JSON.parse(json) as ChannelSpec };
  } catch {
    // Not the parser's message: it quotes the text, which holds the secret.
    return { unreadable: `channel ${channelId}'s config is not valid JSON` };
  }
}

/** The one write of a `config`: sealed with notify.secretsKey when it is set (never with a previous key). */
export function writeConfig(keys: ChannelKeys, channelId: string, spec: ChannelSpec): string {
  const json = JSON.stringify(spec);
  return keys.current === null ? json : seal(json, keys.current, channelId);
}

function channelRow(r: Row, keys: ChannelKeys): ChannelRow {
  const id = String(r.id);
  const read = readConfig(keys, id, r.config);
  const base = { id, orgId: String(r.org_id), kind: String(r.kind) as ChannelKind, createdMs: Number(r.created_ms) };
  return 'spec' in read ? { ...base, spec: read.spec } : { ...base, spec: null, unreadable: read.unreadable };
}

type OrgChannel = { id: string; kind: string };

function orgChannels(d: SqlDriver, orgId: string, channelId?: string): Promise<OrgChannel[]> {
  const only = channelId === undefined ? '' : ' AND id = ?';
  return d.query<OrgChannel>(
    `SELECT id, kind FROM notify_channels WHERE org_id = ?${only} ORDER BY id`,
    channelId === undefined ? [orgId] : [orgId, channelId],
  );
}

/**
 * Enqueues a notification for every channel of its org, in the caller's transaction: the
 * notification row is the claim (its key is the org and the notification id: an event id, or a
 * derived one), so a replayed event, or a second instance making the same notification, inserts
 * nothing. Returns the delivery rows made (0 when the org has no channel or it was made before).
 */
export async function enqueue(
  d: SqlDriver,
  orgId: string,
  gatewayId: string | null,
  n: Notification,
  ts: number,
  nowMs: number,
  channelId?: string,
  known?: readonly OrgChannel[],
): Promise<number> {
  const channels = known ?? (await orgChannels(d, orgId, channelId));
  if (channels.length === 0) return 0;
  const verb = d.dialect === 'mysql' ? 'INSERT IGNORE INTO' : 'INSERT OR IGNORE INTO';
  const claimed = await d.run(
    `${verb} notifications (org_id, id, gateway_id, device_id, type, severity, ts, body, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [orgId, n.id, gatewayId, n.deviceId, n.type, n.severity, ts, JSON.stringify(n), nowMs],
  );
  if (claimed.affected === 0) return 0;
  const rows = channels.flatMap((c) => [orgId, n.id, c.id, c.kind, 'pending', nowMs, nowMs]);
  await d.run(
    `INSERT INTO notify_deliveries (org_id, notification_id, channel_id, kind, state, next_ts, created_ms) VALUES ${channels
      .map(() => '(?, ?, ?, ?, ?, ?, ?)')
      .join(', ')}`,
    rows,
  );
  return channels.length;
}

/**
 * The notifications a batch's new events cause (shared/notify/rules.ts, the gateway's rules), queued
 * in the batch's transaction. An event older than `rules.maxEventAgeMs` when the gateway sent the
 * batch (`sentAtMs`, the gateway's clock, as the events' times are: the age never compares the two
 * machines' clocks) does not notify, nor an alarm that the same batch or the store already shows
 * cleared: the gateway told the cook on the LAN, and the cloud would only repeat it late (both
 * counted by `rules.skipped`). A kit going offline notifies only during a cook: the cook the
 * gateway last reported for it before the event is heating or holding. The end of an alarm the org
 * was notified of is told once; `done` says what the kit's last forecast said of the food (its
 * times in UTC, named); a forecast that says it will not pasteurize is told once per cook.
 */
export async function enqueueForEvents(
  d: SqlDriver,
  orgId: string,
  gatewayId: string,
  events: readonly NotifiableEvent[],
  nowMs: number,
  rules: NotifyIngestRules = defaultIngestRules(),
  sentAtMs: number = nowMs,
): Promise<number> {
  let late = 0;
  let cleared = 0;
  let queued = 0;
  let channels: OrgChannel[] | undefined; // read once per batch, when the first event notifies
  for (const e of events) {
    if (sentAtMs - e.ts > rules.maxEventAgeMs) {
      if (notificationFor(e, { cooking: false }) !== null || outlookOf(e)?.never) late++;
      continue;
    }
    let n: Notification | null;
    if (e.type === 'forecast') {
      n = outlookOf(e)?.never ? neverNoticeFor(e, await lastOutlook(d, orgId, gatewayId, e, false)) : null;
    } else {
      let cooking = false;
      if (e.type === 'offline' && e.deviceId !== null) {
        const cook = await d.query<{ state: string }>(
          'SELECT state FROM cooks WHERE org_id = ? AND device_id = ? AND updated_ts <= ? ORDER BY updated_ts DESC, version DESC LIMIT 1',
          [orgId, e.deviceId, e.ts],
        );
        cooking = cook[0]?.state === 'heating' || cook[0]?.state === 'holding';
      }
      const endsNotified = mayResolve(e.type) && (await endsNotifiedAlarm(d, orgId, e));
      const outlook = e.type === 'done' ? await lastOutlook(d, orgId, gatewayId, e, true) : null;
      // The cloud does not know the kitchen's time zone: its clock times are UTC, and say so.
      n = notificationFor(e, { cooking, endsNotified, outlook, timeZone: 'UTC', nameZone: true });
      // The notice's severity, not the event's: an `offline` (a warning) notifies as an alarm during a cook.
      if (makesNotified(e, n) && (await alreadyCleared(d, e, events))) {
        cleared++;
        continue;
      }
    }
    if (n === null) continue;
    channels ??= await orgChannels(d, orgId);
    if (channels.length === 0) break;
    queued += await enqueue(d, orgId, gatewayId, n, e.ts, nowMs, undefined, channels);
  }
  if (late > 0) rules.skipped('late', late);
  if (cleared > 0) rules.skipped('cleared', cleared);
  return queued;
}

/**
 * An alarm the batch clears after raising it (a later event of its kit that clears its type), or
 * that the store holds as cleared (only alarms of severity alarm or critical have a row there: an
 * `offline` has none, the batch decides).
 */
async function alreadyCleared(d: SqlDriver, e: NotifiableEvent, batch: readonly NotifiableEvent[]): Promise<boolean> {
  if (batch.some((x) => x !== e && x.deviceId === e.deviceId && x.ts >= e.ts && clearedBy(x.type).includes(e.type))) return true;
  const row = await d.query('SELECT 1 AS x FROM alarms WHERE id = ? AND cleared_ts IS NOT NULL', [e.id]);
  return row.length > 0;
}

/** The event types that end an alarm of this type (shared/alarms/lifecycle.ts clearedBy, inverted). */
const endersOf = (type: string): string[] => Object.keys(CLEARED_BY).filter((x) => clearedBy(x).includes(type));

/**
 * The event ends an alarm of its kit the org was notified of, not ended before it: the kit's last
 * event of an ended type whose own notice (the notification with the event's id) had the severity
 * alarm or critical, with no event ending it between the two. The gateway's rule (followNotified)
 * on the cloud's tables: the same for an alarm with an alarms row and an `offline`, which has none.
 */
async function endsNotifiedAlarm(d: SqlDriver, orgId: string, e: NotifiableEvent): Promise<boolean> {
  if (e.deviceId === null) return false;
  for (const type of clearedBy(e.type)) {
    const enders = endersOf(type);
    const rows = await d.query(
      `SELECT 1 AS x FROM events r JOIN notifications n ON n.org_id = r.org_id AND n.id = r.id
       WHERE r.org_id = ? AND r.device_id = ? AND r.type = ? AND r.ts <= ? AND r.id <> ?
         AND n.severity IN (${NOTIFIED_SEVERITIES.map(() => '?').join(', ')})
         AND NOT EXISTS (SELECT 1 FROM events c WHERE c.org_id = r.org_id AND c.device_id = r.device_id
           AND c.type IN (${enders.map(() => '?').join(', ')}) AND c.ts >= r.ts AND c.ts <= ? AND c.id <> ? AND c.id <> r.id)
       LIMIT 1`,
      [orgId, e.deviceId, type, e.ts, e.id, ...NOTIFIED_SEVERITIES, ...enders, e.ts, e.id],
    );
    if (rows.length > 0) return true;
  }
  return false;
}

/** The kit's last forecast outlook before the event (at its time too, when `atOrBefore`). */
async function lastOutlook(
  d: SqlDriver,
  orgId: string,
  gatewayId: string,
  e: NotifiableEvent,
  atOrBefore: boolean,
): Promise<CookOutlook | null> {
  // By org and device first: the events_org_device index (org_id, device_id, ts), read backwards.
  const rows = await d.query(
    `SELECT ts, data FROM events WHERE org_id = ? AND device_id = ? AND gateway_id = ? AND type = 'forecast'
       AND ts ${atOrBefore ? '<=' : '<'} ? AND id <> ?
     ORDER BY ts DESC LIMIT 1`,
    [orgId, e.deviceId, gatewayId, e.ts, e.id],
  );
  const r = rows[0];
  if (!r) return null;
  try {
    return outlookOf({ type: 'forecast', ts: Number(r.ts), data: JSON.parse(String(r.data)) as Record<string, unknown> });
  } catch {
    return null;
  }
}

/** Channels and the delivery queue of each org (Scope first), and the delivery worker's service-level reads. */
export class SqlNotifyStore implements NotifyStore {
  /** `keys`: notify.secretsKey and previousSecretsKeys derived (sealed-config.ts channelKeys); none = configs stored as given. */
  constructor(
    private readonly d: SqlDriver,
    private readonly keys: ChannelKeys = NO_KEYS,
    readonly ingestRules: NotifyIngestRules = defaultIngestRules(),
  ) {}

  async addChannel(scope: Scope, c: { id: string; spec: ChannelSpec; nowMs: number }): Promise<ChannelRow> {
    await this.d.run('INSERT INTO notify_channels (id, org_id, kind, config, created_ms) VALUES (?, ?, ?, ?, ?)', [
      c.id,
      scope.orgId,
      c.spec.kind,
      writeConfig(this.keys, c.id, c.spec),
      c.nowMs,
    ]);
    return { id: c.id, orgId: scope.orgId, kind: c.spec.kind, spec: c.spec, createdMs: c.nowMs };
  }

  sealAtRest(): Promise<ConfigsAtRest> {
    return sealAtRest(this.d, this.keys);
  }

  configKeys(): Promise<ConfigKeyCounts> {
    return configKeys(this.d, this.keys);
  }

  async listChannels(scope: Scope, page: PageRequest): Promise<Page<ChannelRow>> {
    const params: SqlValue[] = [scope.orgId];
    let cursor = '';
    if (page.after?.[0] !== undefined) {
      cursor = ' AND id > ?';
      params.push(String(page.after[0]));
    }
    const rows = await this.d.query(`SELECT * FROM notify_channels WHERE org_id = ?${cursor} ORDER BY id LIMIT ${page.limit + 1}`, params);
    return paged(
      rows.map((r) => channelRow(r, this.keys)),
      page.limit,
      (c) => [c.id],
    );
  }

  async getChannel(scope: Scope, id: string): Promise<ChannelRow | null> {
    const rows = await this.d.query('SELECT * FROM notify_channels WHERE id = ? AND org_id = ?', [id, scope.orgId]);
    return rows[0] ? channelRow(rows[0], this.keys) : null;
  }

  async deleteChannel(scope: Scope, id: string, nowMs: number): Promise<boolean> {
    return this.d.tx(async (d) => {
      const r = await d.run('DELETE FROM notify_channels WHERE id = ? AND org_id = ?', [id, scope.orgId]);
      if (r.affected === 0) return false;
      // What was still waiting for it is given up, with the reason on the row.
      await d.run(
        `UPDATE notify_deliveries SET state = 'failed', last_error = 'channel removed', next_ts = ? WHERE org_id = ? AND channel_id = ? AND state = 'pending'`,
        [nowMs, scope.orgId, id],
      );
      return true;
    });
  }

  async enqueue(scope: Scope, n: Notification, nowMs: number, channelId?: string): Promise<number> {
    return this.d.tx((d) => enqueue(d, scope.orgId, scope.gatewayId ?? null, n, nowMs, nowMs, channelId));
  }

  async listDeliveries(scope: Scope, f: DeliveryFilter, page: PageRequest): Promise<Page<DeliveryRow>> {
    const where = ['d.org_id = ?'];
    const params: SqlValue[] = [scope.orgId];
    if (scope.gatewayId) {
      where.push('n.gateway_id = ?');
      params.push(scope.gatewayId);
    }
    if (f.state !== undefined) {
      where.push('d.state = ?');
      params.push(f.state);
    }
    if (f.channelId !== undefined) {
      where.push('d.channel_id = ?');
      params.push(f.channelId);
    }
    if (page.after?.[0] !== undefined) {
      where.push('d.id < ?');
      params.push(Number(page.after[0]));
    }
    const rows = await this.d.query(
      `SELECT d.*, n.body FROM notify_deliveries d JOIN notifications n ON n.org_id = d.org_id AND n.id = d.notification_id
       WHERE ${where.join(' AND ')} ORDER BY d.id DESC LIMIT ${page.limit + 1}`,
      params,
    );
    const items = rows.map((r): DeliveryRow => {
      const state = String(r.state) as DeliveryRow['state'];
      return {
        id: String(r.id),
        channelId: String(r.channel_id),
        kind: String(r.kind),
        state,
        attempts: Number(r.attempts),
        lastAttemptMs: r.last_ts === null ? null : Number(r.last_ts),
        nextAttemptMs: state === 'pending' ? Number(r.next_ts) : null,
        lastError: r.last_error === null ? null : String(r.last_error),
        createdMs: Number(r.created_ms),
        notification: JSON.parse(String(r.body)) as Notification,
      };
    });
    return paged(items, page.limit, (x) => [x.id]);
  }

  async dueDeliveries(nowMs: number, limit: number, exceptChannels: readonly string[] = []): Promise<DueDelivery[]> {
    const except = exceptChannels.length > 0 ? ` AND d.channel_id NOT IN (${exceptChannels.map(() => '?').join(',')})` : '';
    const rows = await this.d.query(
      `SELECT d.id, d.org_id, d.channel_id, d.kind, d.attempts, d.next_ts, n.body, c.config
       FROM notify_deliveries d JOIN notifications n ON n.org_id = d.org_id AND n.id = d.notification_id
       LEFT JOIN notify_channels c ON c.id = d.channel_id AND c.org_id = d.org_id
       WHERE d.state = 'pending' AND d.next_ts <= ?${except} ORDER BY d.next_ts, d.id LIMIT ${Math.trunc(limit)}`,
      [nowMs, ...exceptChannels],
    );
    return rows.map((r): DueDelivery => {
      const channelId = String(r.channel_id);
      const read = r.config === null || r.config === undefined ? null : readConfig(this.keys, channelId, r.config);
      return {
        delivery: Number(r.id),
        orgId: String(r.org_id),
        channelId,
        kind: String(r.kind),
        attempts: Number(r.attempts),
        nextTs: Number(r.next_ts),
        notification: JSON.parse(String(r.body)) as Notification,
        channel: read !== null && 'spec' in read ? read.spec : null,
        ...(read !== null && 'unreadable' in read ? { unreadable: read.unreadable } : {}),
      };
    });
  }

  async claimDelivery(delivery: number, seenNextTs: number, leaseUntil: number): Promise<boolean> {
    const r = await this.d.run(`UPDATE notify_deliveries SET next_ts = ? WHERE id = ? AND state = 'pending' AND next_ts = ?`, [
      leaseUntil,
      delivery,
      seenNextTs,
    ]);
    return r.affected === 1;
  }

  async recordAttempt(r: AttemptResult): Promise<void> {
    await this.d.run(
      'UPDATE notify_deliveries SET state = ?, attempts = attempts + 1, last_ts = ?, next_ts = ?, last_error = ? WHERE id = ?',
      [r.state, r.attemptTs, r.nextTs, r.error === null ? null : r.error.slice(0, 300), r.delivery],
    );
  }

  async pendingByKind(): Promise<Map<string, number>> {
    const rows = await this.d.query<{ kind: string; c: number }>(
      `SELECT kind, COUNT(*) AS c FROM notify_deliveries WHERE state = 'pending' GROUP BY kind`,
    );
    return new Map(rows.map((r) => [String(r.kind), Number(r.c)]));
  }

  async silentGateways(silentSinceMs: number, notBeforeMs: number): Promise<SilentGateway[]> {
    const rows = await this.d.query(
      `SELECT g.id, g.org_id, g.name, g.last_seen_ms FROM gateways g
       WHERE g.revoked_ms IS NULL AND g.last_seen_ms IS NOT NULL AND g.last_seen_ms < ? AND g.last_seen_ms >= ?
         AND EXISTS (SELECT 1 FROM notify_channels c WHERE c.org_id = g.org_id) ORDER BY g.id`,
      [silentSinceMs, notBeforeMs],
    );
    return rows.map((r) => ({ id: String(r.id), orgId: String(r.org_id), name: String(r.name), lastSeenMs: Number(r.last_seen_ms) }));
  }

  async openCriticalAlarms(notBeforeMs: number): Promise<OpenCriticalAlarm[]> {
    const rows = await this.d.query(
      `SELECT a.org_id, a.gateway_id, a.raised_ts, n.body FROM alarms a
       JOIN notifications n ON n.org_id = a.org_id AND n.id = a.id
       WHERE a.acked_ts IS NULL AND a.cleared_ts IS NULL AND a.raised_ts >= ? AND n.severity = 'critical'
         AND NOT (a.type IN (${STOP_ENDS_REMINDERS_OF.map(() => '?').join(', ')})
           AND EXISTS (SELECT 1 FROM events s WHERE s.org_id = a.org_id AND s.device_id = a.device_id AND s.gateway_id = a.gateway_id
             AND s.type = 'stopped' AND s.ts >= a.raised_ts))
       ORDER BY a.raised_ts, a.id`,
      [notBeforeMs, ...STOP_ENDS_REMINDERS_OF],
    );
    return rows.map((r) => ({
      orgId: String(r.org_id),
      gatewayId: r.gateway_id === null ? null : String(r.gateway_id),
      raisedAt: Number(r.raised_ts),
      first: JSON.parse(String(r.body)) as Notification,
    }));
  }

  async enqueueOnce(orgId: string, gatewayId: string | null, n: Notification, nowMs: number): Promise<number> {
    return this.d.tx((d) => enqueue(d, orgId, gatewayId, n, nowMs, nowMs));
  }
}
