import { type ChainableCommander, Redis } from 'ioredis';
import { SvError } from '../../../shared/errors.js';
import { cannotConnect } from '../connect-error.js';
import type { DeviceState, StateStore, Status, Telemetry } from '../types.js';
import { EPOCH_LUA, LATEST_LUA } from './latest.lua.js';

export interface RedisOptions {
  url: string;
  commandTimeoutMs: number;
  keyPrefix: string;
  heartbeatTtlS: number;
  /**
   * The org of a gateway (the meta store's), for the one-time upgrade of keys written before device
   * ids were per org (each old key's hash names the gateway that wrote it). Without it, old keys stay.
   */
  orgOfGateway?: (gatewayId: string) => Promise<string | null>;
}

type LatestRedis = Redis & {
  svLatest(numKeys: number, keys: string[], argv: (string | number)[]): Promise<number>;
  svEpoch(numKeys: number, keys: string[], argv: (string | number)[]): Promise<number>;
};

/**
 * Devices per script call: a batch from a fleet holds about one reading per kit, so one call per
 * kit was most of the Redis sink's cost (a command, a reply and a script run each); a bounded
 * chunk keeps each script run short (Redis runs nothing else meanwhile).
 */
const LATEST_CHUNK = 200;

/** Marks a keyspace whose device keys are per org (upgradeKeys ran, or nothing older was there). */
const KEYS_VERSION = '2';

/**
 * Latest state, heartbeats and the online set in Redis. Keys: `<p>dev:<org>:<id>` (hash, latest
 * state; device ids are per org), `<p>online:<org>` (sorted set of the org's devices, score = last
 * gateway receive time), `<p>gw:<id>:hb` (heartbeat, TTL), `<p>keys` (the key layout's version).
 * No offline queue: while Redis is down a command fails at once, so ingest answers 503 instead of
 * queueing writes in cloud memory.
 */
export class RedisStateStore implements StateStore {
  readonly backend = 'redis';
  private readonly redis: LatestRedis;
  private readonly p: string;
  /** The last connection error: connect() itself only says "Connection is closed.". */
  private lastError: Error | undefined;

  constructor(private readonly opts: RedisOptions) {
    this.p = opts.keyPrefix;
    this.redis = new Redis(opts.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.commandTimeoutMs,
      connectTimeout: opts.commandTimeoutMs,
      retryStrategy: (times) => Math.min(100 * times, 1_000),
    }) as LatestRedis;
    this.redis.defineCommand('svLatest', { lua: LATEST_LUA });
    this.redis.defineCommand('svEpoch', { lua: EPOCH_LUA });
    this.redis.on('error', (err: Error) => {
      this.lastError = err; // else reported through failed commands and /readyz
    });
  }

  async open(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (err) {
      throw cannotConnect('redis.url', this.opts.url, this.lastError ?? err);
    }
    if (this.opts.orgOfGateway && (await this.redis.get(`${this.p}keys`)) !== KEYS_VERSION) {
      // Safe to run again: a key already moved is not found under its old name.
      await this.upgradeKeys(this.opts.orgOfGateway).catch((err: Error) => {
        throw new SvError('SV_ERR_STORE_FAILED', `redis: moving the latest-state keys to their orgs failed (${err.message}); start again`);
      });
    }
  }

  /**
   * Moves the keys of a keyspace written before device ids were per org: each `dev:<id>` hash to
   * `dev:<org>:<id>` (the org of the gateway that last wrote it) and its `online` entry to
   * `online:<org>`. RENAMENX: a newer per-org key is never overwritten, and two instances starting
   * at once cannot both move one key. A hash whose gateway is unknown is left where it was.
   */
  private async upgradeKeys(orgOfGateway: (gatewayId: string) => Promise<string | null>): Promise<void> {
    const orgs = new Map<string, string | null>();
    const oldOnline = `${this.p}online`;
    const prefix = `${this.p}dev:`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      const old = keys.filter((k) => !k.slice(prefix.length).includes(':'));
      const gws = await Promise.all(old.map((k) => this.redis.hget(k, 'gw')));
      const scores = await Promise.all(old.map((k) => this.redis.zscore(oldOnline, k.slice(prefix.length))));
      for (const [i, key] of old.entries()) {
        const gw = gws[i];
        if (!gw) continue;
        if (!orgs.has(gw)) orgs.set(gw, await orgOfGateway(gw));
        const org = orgs.get(gw);
        if (!org) continue;
        const id = key.slice(prefix.length);
        await this.redis.renamenx(key, this.devKey(org, id));
        const score = scores[i];
        if (score !== null && score !== undefined) await this.redis.zadd(this.onlineKey(org), 'GT', score, id);
        await this.redis.zrem(oldOnline, id);
      }
    } while (cursor !== '0');
    await this.redis.set(`${this.p}keys`, KEYS_VERSION);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async apply(
    gatewayId: string,
    orgId: string,
    telemetry: readonly Telemetry[],
    status: readonly Status[],
    nowMs: number,
    epochs: ReadonlyMap<string, number> = new Map(),
  ): Promise<void> {
    const ttlMs = this.opts.heartbeatTtlS * 1000;
    const pipe = this.redis.pipeline() as ChainableCommander & {
      svLatest(numKeys: number, keys: string[], argv: (string | number)[]): ChainableCommander;
      svEpoch(numKeys: number, keys: string[], argv: (string | number)[]): ChainableCommander;
    };
    // New epochs first (in order on this connection): the batch's records of the new unit then land on a clean state.
    const ep = [...epochs];
    for (let i = 0; i < ep.length; i += LATEST_CHUNK) {
      const chunk = ep.slice(i, i + LATEST_CHUNK);
      pipe.svEpoch(
        chunk.length,
        chunk.map(([id]) => this.devKey(orgId, id)),
        chunk.map(([, ms]) => ms),
      );
    }
    const seen = new Map<string, number>();
    // One record per device and kind, telemetry first (as it was received), LATEST_CHUNK devices
    // a call; arrays are passed as they are (ioredis flattens them), not spread.
    let keys: string[] = [];
    let argv: (string | number)[] = [gatewayId];
    const call = () => {
      if (keys.length > 0) pipe.svLatest(keys.length, keys, argv);
      keys = [];
      argv = [gatewayId];
    };
    for (const r of newestTelemetry(telemetry)) {
      keys.push(this.devKey(orgId, r.deviceId));
      argv.push('t', r.rxTs, r.boot, r.seq, r.ts ?? '', r.tempC ?? '', r.sensor, r.heater ? 1 : 0, r.rssi ?? '');
      if (keys.length === LATEST_CHUNK) call();
    }
    for (const s of newestStatus(status)) {
      keys.push(this.devKey(orgId, s.deviceId));
      argv.push('s', s.rxTs, s.boot, s.rxTs, s.state, s.fw ?? '');
      if (keys.length === LATEST_CHUNK) call();
    }
    call();
    for (const r of [...telemetry, ...status]) seen.set(r.deviceId, Math.max(seen.get(r.deviceId) ?? 0, r.rxTs));
    if (seen.size > 0) {
      const args: (string | number)[] = [];
      for (const [id, ts] of seen) args.push(ts, id);
      pipe.zadd(this.onlineKey(orgId), 'GT', ...args);
    }
    pipe.zremrangebyscore(this.onlineKey(orgId), '-inf', nowMs - 24 * 3600_000);
    pipe.set(`${this.p}gw:${gatewayId}:hb`, nowMs, 'PX', ttlMs);
    const results = (await pipe.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw new SvError('SV_ERR_STORE_FAILED', `redis: ${failed[0]?.message}`);
  }

  async latest(orgId: string, deviceIds: readonly string[], nowMs: number): Promise<Map<string, DeviceState>> {
    const out = new Map<string, DeviceState>();
    if (deviceIds.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const id of deviceIds) pipe.hgetall(this.devKey(orgId, id));
    const results = (await pipe.exec()) ?? [];
    deviceIds.forEach((id, i) => {
      const [err, h] = results[i] ?? [new Error('no reply')];
      if (err) throw new SvError('SV_ERR_STORE_FAILED', `redis: ${err.message}`);
      const hash = h as Record<string, string>;
      // A hash with no `seen` holds only a new epoch (EPOCH_LUA): no state yet.
      if (hash.seen !== undefined) out.set(id, this.toState(id, hash, nowMs));
    });
    return out;
  }

  async onlineDevices(orgId: string, nowMs: number): Promise<string[]> {
    const ids = await this.redis.zrangebyscore(this.onlineKey(orgId), nowMs - this.opts.heartbeatTtlS * 1000, '+inf');
    const states = await this.latest(orgId, ids, nowMs);
    return ids.filter((id) => states.get(id)?.online === true).sort();
  }

  async gatewayAlive(gatewayId: string): Promise<boolean> {
    return (await this.redis.exists(`${this.p}gw:${gatewayId}:hb`)) === 1;
  }

  /** Unambiguous: a device id has no colon. */
  private devKey(orgId: string, id: string): string {
    return `${this.p}dev:${orgId}:${id}`;
  }

  private onlineKey(orgId: string): string {
    return `${this.p}online:${orgId}`;
  }

  private toState(id: string, h: Record<string, string>, nowMs: number): DeviceState {
    const n = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));
    const lastSeenMs = n(h.seen);
    const status = h.state === 'online' || h.state === 'offline' ? h.state : null;
    const statusTs = n(h.srx);
    // Offline when not heard within the TTL, or when an offline status is newer than the last telemetry.
    const offlineByStatus = status === 'offline' && statusTs !== null && statusTs >= (n(h.rx) ?? 0);
    return {
      deviceId: id,
      gatewayId: h.gw ?? null,
      boot: n(h.tboot),
      seq: n(h.tseq),
      ts: n(h.ts),
      rxTs: n(h.rx),
      tempC: n(h.temp),
      sensor: h.sensor ?? null,
      heater: h.heater === undefined ? null : h.heater === '1',
      rssi: n(h.rssi),
      status,
      statusTs,
      fw: h.fw || null,
      lastSeenMs,
      online: lastSeenMs !== null && lastSeenMs >= nowMs - this.opts.heartbeatTtlS * 1000 && !offlineByStatus,
    };
  }
}

/** Only the newest record per device needs a round trip; the script still guards against older ones. */
export function newestTelemetry(records: readonly Telemetry[]): Telemetry[] {
  const best = new Map<string, Telemetry>();
  for (const r of records) {
    const cur = best.get(r.deviceId);
    if (!cur || r.boot > cur.boot || (r.boot === cur.boot && r.seq > cur.seq)) best.set(r.deviceId, r);
  }
  return [...best.values()];
}

export function newestStatus(records: readonly Status[]): Status[] {
  const best = new Map<string, Status>();
  for (const r of records) {
    const cur = best.get(r.deviceId);
    if (!cur || r.boot > cur.boot || (r.boot === cur.boot && r.rxTs > cur.rxTs)) best.set(r.deviceId, r);
  }
  return [...best.values()];
}
