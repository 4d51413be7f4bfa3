import { Agent, request } from 'undici';
import { SvError } from '../../../shared/errors.js';
import { cannotConnect } from '../connect-error.js';
import type {
  Bucket,
  HistoryQuery,
  Series,
  StoredPoint,
  Telemetry,
  TelemetryDropReason,
  TelemetryDrops,
  TelemetryStore,
} from '../types.js';
import { influxString, pointTimeNs, toLine } from './line-protocol.js';

export interface InfluxOptions {
  url: string;
  db: string;
  token?: string | undefined;
  timeoutMs: number;
  createDb: boolean;
}

interface QueryResult {
  results?: { error?: string; series?: { columns: string[]; values: unknown[][] }[] }[];
  error?: string;
}

/**
 * Telemetry in InfluxDB over the v1 HTTP API (`/write` line protocol, `/query` InfluxQL), which
 * 1.x serves natively and 2.x/3.x serve for compatibility (docs/adr/010-influx-v1-api.md).
 */
export class InfluxTelemetryStore implements TelemetryStore {
  readonly backend = 'influx';
  private readonly agent: Agent;
  private readonly base: string;

  constructor(private readonly opts: InfluxOptions) {
    this.base = opts.url.replace(/\/+$/, '');
    this.agent = new Agent({ connections: 64, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs, keepAliveTimeout: 30_000 });
  }

  /** An unreachable server is one line naming influx.url; an answer that refuses (a wrong token) passes as it is. */
  async open(): Promise<void> {
    try {
      if (this.opts.createDb) await this.query(`CREATE DATABASE ${this.opts.db}`, false);
      else await this.ping();
    } catch (err) {
      if (err instanceof SvError) throw err;
      throw cannotConnect('influx.url', this.opts.url, err);
    }
  }

  async close(): Promise<void> {
    await this.agent.destroy();
  }

  async ping(): Promise<void> {
    const res = await this.call('GET', '/ping', undefined);
    if (res.status !== 204) throw new SvError('SV_ERR_STORE_FAILED', `influx ping answered ${res.status}`);
  }

  /**
   * A `400 partial write` for points older than the retention policy or a field type conflict
   * means InfluxDB kept every other point of the write and will refuse those again on every retry:
   * the write is committed and the refused points are reported, never thrown
   * (docs/adr/082-ingest-keeps-what-it-can.md). Anything else (a series or tag-value limit too) that is not a 204 (5xx, 401/403, a
   * missing database, 413, a 400 that is not a partial write) and every timeout or connection error
   * throws: nothing can be said to be written, and the batch is retried whole.
   */
  async write(gatewayId: string, records: readonly Telemetry[]): Promise<TelemetryDrops | undefined> {
    if (records.length === 0) return undefined;
    const body = records.map((r) => toLine(gatewayId, r)).join('\n');
    const params = new URLSearchParams({ db: this.opts.db, precision: 'ns' });
    const res = await this.call('POST', `/write?${params}`, body);
    if (res.status === 204) return undefined;
    const message = influxError(res.text);
    const partial = /partial write/i.exec(message);
    const reason = dropReason(message);
    // Only a refusal that no retry can change is committed: points beyond the retention policy
    // (they only get older) and a field type conflict (the series' type is fixed). A series or
    // tag-value limit is the operator's to raise, and InfluxDB 1.6 may drop other points of the
    // write with it (seen: a point of an existing series under the limit): the batch is retried.
    if ((res.status === 400 || res.status === 422) && partial && reason !== null) {
      const dropped = Number(/dropped=(\d+)/.exec(message)?.[1] ?? records.length);
      const named = reason === 'retention' ? await this.beyondRetention(records).catch(() => []) : [];
      return {
        dropped,
        reason,
        message: message.slice(0, 300),
        records: named.map(({ deviceId, boot, seq }) => ({ deviceId, boot, seq })),
      };
    }
    throw new SvError('SV_ERR_STORE_FAILED', `influx write answered ${res.status}: ${message.slice(0, 200)}`);
  }

  /**
   * The records whose point time lies before the default retention policy's horizon: the ones
   * InfluxDB 1.x drops as "beyond retention policy" (it compares each point with now − duration).
   */
  private async beyondRetention(records: readonly Telemetry[]): Promise<Telemetry[]> {
    const rows = await this.select(`SHOW RETENTION POLICIES ON ${this.opts.db}`);
    const rp = rows.find((r) => r.default === true);
    const ns = rp ? durationNs(String(rp.duration)) : 0n;
    if (ns === 0n) return [];
    const horizon = BigInt(Date.now()) * 1_000_000n - ns;
    return records.filter((r) => pointTimeNs(r) < horizon);
  }

  async history(q: HistoryQuery): Promise<Bucket[]> {
    if (q.gatewayIds.length === 0) return [];
    const where = `${seriesWhere(q)} AND time >= ${Math.trunc(q.fromMs)}ms AND time < ${Math.trunc(q.toMs)}ms`;
    const group = `GROUP BY time(${Math.trunc(q.everyMs)}ms) fill(none)`;
    // The heater is a boolean field, which mean() does not take: its on-share is two counts.
    const [rows, on] = await Promise.all([
      this.select(
        `SELECT mean(temperature) AS mean, min(temperature) AS min, max(temperature) AS max, count(temperature) AS count, count(heater) AS readings FROM telemetry WHERE ${where} ${group}`,
      ),
      this.select(`SELECT count(heater) AS count FROM telemetry WHERE ${where} AND heater = true ${group}`),
    ]);
    const onCount = new Map(on.map((r) => [Number(r.time), Number(r.count ?? 0)]));
    // Like the embedded store: buckets without any temperature are left out.
    return rows
      .filter((r) => Number(r.count ?? 0) > 0)
      .map((r) => {
        const readings = Number(r.readings ?? 0);
        return {
          ts: Number(r.time),
          mean: num(r.mean),
          min: num(r.min),
          max: num(r.max),
          count: Number(r.count ?? 0),
          heaterOn: readings > 0 ? (onCount.get(Number(r.time)) ?? 0) / readings : null,
        };
      });
  }

  async points(series: Series, fromMs: number, toMs: number, limit?: number): Promise<StoredPoint[]> {
    if (series.gatewayIds.length === 0) return [];
    const first = limit === undefined ? '' : ` LIMIT ${Math.trunc(limit)}`;
    const rows = await this.select(
      `SELECT * FROM telemetry WHERE ${seriesWhere(series)} AND time >= ${Math.trunc(fromMs)}ms AND time < ${Math.trunc(toMs)}ms ORDER BY time ASC${first}`,
    );
    return rows.map((r) => ({
      ts: Number(r.time),
      gatewayId: String(r.gateway),
      deviceId: String(r.device),
      boot: Number(r.boot),
      seq: Number(r.seq),
      temperature: num(r.temperature),
      heater: r.heater === true,
      sensor: String(r.sensor),
      rssi: num(r.rssi),
    }));
  }

  private async select(q: string): Promise<Record<string, unknown>[]> {
    const body = await this.query(q, true);
    const series = body.results?.[0]?.series ?? [];
    const out: Record<string, unknown>[] = [];
    for (const s of series) {
      for (const values of s.values) out.push(Object.fromEntries(s.columns.map((c, i) => [c, values[i]])));
    }
    return out;
  }

  private async query(q: string, withDb: boolean): Promise<QueryResult> {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    if (withDb) params.set('db', this.opts.db);
    const res = await this.call('POST', '/query', params.toString(), 'application/x-www-form-urlencoded');
    if (res.status !== 200) throw new SvError('SV_ERR_STORE_FAILED', `influx query answered ${res.status}: ${res.text.slice(0, 200)}`);
    const parsed = JSON.parse(res.text) as QueryResult;
    const err = parsed.error ?? parsed.results?.[0]?.error;
    if (err) throw new SvError('SV_ERR_STORE_FAILED', `influx query failed: ${err}`);
    return parsed;
  }

  private async call(method: 'GET' | 'POST', path: string, body: string | undefined, type = 'text/plain; charset=utf-8') {
    const headers: Record<string, string> = { 'content-type': type };
    if (this.opts.token) headers.authorization = `Token ${this.opts.token}`;
    const res = await request(`${this.base}${path}`, {
      method,
      body,
      headers,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    const text = await res.body.text();
    return { status: res.statusCode, text };
  }
}

/** InfluxDB's `{"error": "..."}` body, or the text as it came. */
function influxError(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof e === 'string') return e;
  } catch {}
  return text;
}

/** The partial writes no retry changes; null for the rest (a series or tag-value limit, anything else). */
function dropReason(message: string): TelemetryDropReason | null {
  if (/retention policy/i.test(message)) return 'retention';
  if (/field type conflict/i.test(message)) return 'field_type';
  return null;
}

/** An InfluxQL duration as SHOW RETENTION POLICIES prints it (`1h0m0s`, `168h0m0s`, `0s` = infinite), in ns. */
export function durationNs(d: string): bigint {
  const unit: Record<string, bigint> = {
    h: 3_600_000_000_000n,
    m: 60_000_000_000n,
    s: 1_000_000_000n,
    ms: 1_000_000n,
    u: 1_000n,
    µ: 1_000n,
    ns: 1n,
  };
  let ns = 0n;
  for (const [, n, u] of d.matchAll(/(\d+)(ns|ms|u|µ|h|m|s)/g)) ns += BigInt(n as string) * (unit[u as string] ?? 0n);
  return ns;
}

/** One org's device: its id and one of the org's gateways (the series' two tags), as quoted literals. */
function seriesWhere(s: Series): string {
  return `device = ${influxString(s.deviceId)} AND (${s.gatewayIds.map((g) => `gateway = ${influxString(g)}`).join(' OR ')})`;
}

function num(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}
