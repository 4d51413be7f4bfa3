import { Agent, request } from 'undici';
import { SvError } from '../../../shared/errors.js';
import { cannotConnect } from '../connect-error.js';
import type { Bucket, HistoryQuery, Series, StoredPoint, Telemetry, TelemetryStore } from '../types.js';
import { influxString, toLine } from './line-protocol.js';

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

  async write(gatewayId: string, records: readonly Telemetry[]): Promise<void> {
    if (records.length === 0) return;
    const body = records.map((r) => toLine(gatewayId, r)).join('\n');
    const params = new URLSearchParams({ db: this.opts.db, precision: 'ns' });
    const res = await this.call('POST', `/write?${params}`, body);
    if (res.status !== 204) throw new SvError('SV_ERR_STORE_FAILED', `influx write answered ${res.status}: ${res.text.slice(0, 200)}`);
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

/** One org's device: its id and one of the org's gateways (the series' two tags), as quoted literals. */
function seriesWhere(s: Series): string {
  return `device = ${influxString(s.deviceId)} AND (${s.gatewayIds.map((g) => `gateway = ${influxString(g)}`).join(' OR ')})`;
}

function num(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}
