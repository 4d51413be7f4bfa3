import { connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { MqttClient } from 'mqtt';
import type { GatewayFixture } from '../../gateway/testing/fixture.js';
import { telemetry } from '../../gateway/testing/fixture.js';

/** Shared helpers of the security suite (real sockets, real gateway; nothing mocked). */

/** Every refusal counter of the gateway, by `name{reason}` (unlabelled ones by name). */
export const REFUSAL_COUNTERS = [
  'auth_failed',
  'acl_denied',
  'rate_limited',
  'packet_too_large',
  'protocol_error',
  'conn_refused',
] as const;

/** Counter values of one metrics scrape: `name` and `name{reason}` → value. */
export function readCounters(metrics: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of metrics.matchAll(/^(\w+)_total(?:\{reason="([^"]*)"\})? (\d+(?:\.\d+)?)$/gm)) {
    const [, name, reason, value] = m as unknown as [string, string, string | undefined, string];
    if (/^(process|nodejs)_/.test(name)) continue; // Node's default metrics: not ours
    const key = reason === undefined ? name : `${name}{${reason}}`;
    out.set(key, (out.get(key) ?? 0) + Number(value));
    if (reason !== undefined) out.set(name, (out.get(name) ?? 0) + Number(value));
  }
  return out;
}

/** after − before for every key that moved. */
export function delta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RawTlsOptions {
  port: number;
  ca: Buffer;
  /** Source address on the loopback (127.0.0.2 …): lets a test be "another machine" for bans. */
  localAddress?: string;
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  ciphers?: string;
}

/** A TLS connection to the gateway (verifying its CA); rejects with the handshake error. */
export function rawTls(o: RawTlsOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // A TCP socket first: tls.connect() has no localAddress option of its own.
    const tcp = netConnect({ port: o.port, host: '127.0.0.1', localAddress: o.localAddress });
    const s = tlsConnect({
      socket: tcp,
      ca: o.ca,
      servername: 'localhost',
      minVersion: o.minVersion,
      maxVersion: o.maxVersion,
      ciphers: o.ciphers,
    });
    s.once('secureConnect', () => resolve(s));
    s.once('error', (err) => {
      s.destroy();
      reject(err);
    });
  });
}

export type Ending = 'server-closed' | 'deadline';

/** Resolves when the peer closes the socket, or with 'deadline' (the socket is then destroyed). */
export function closedByServer(s: Socket, deadlineMs: number): Promise<Ending> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve('server-closed');
    const timer = setTimeout(() => {
      s.destroy();
      resolve('deadline');
    }, deadlineMs);
    s.on('error', () => {}); // ECONNRESET/EPIPE when the gateway cuts us off: expected
    s.resume(); // read (and drop) what the gateway answers (a CONNACK): an unread socket never sees the close
    s.once('close', () => {
      clearTimeout(timer);
      resolve('server-closed');
    });
  });
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * An honest kit that stays connected while a test attacks the gateway: it publishes QoS 1
 * telemetry (seq 0, 1, …) one after the other, each after the previous PUBACK, under the
 * per-device publish rate. `stop()` says what was published and acknowledged, and how often the
 * connection dropped.
 */
export class HonestKit {
  private running = true;
  private loop: Promise<void> = Promise.resolve();
  acked = 0;
  errors: string[] = [];
  /** When each close of the connection happened, in ms after the kit started. */
  closedAt: number[] = [];
  private readonly startedAt = Date.now();

  constructor(
    readonly client: MqttClient,
    readonly deviceId: string,
    private readonly everyMs = 100,
  ) {
    client.on('close', () => this.closedAt.push(Date.now() - this.startedAt));
    client.on('error', (err) => this.errors.push(`client error: ${err.message}`));
  }

  /** How often the connection closed. */
  get closes(): number {
    return this.closedAt.length;
  }

  start(): this {
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.client.publishAsync(`sv/${this.deviceId}/telemetry`, telemetry({ boot: 1, seq: this.acked }), { qos: 1 });
          this.acked++;
        } catch (err) {
          this.errors.push((err as Error).message);
          return;
        }
        await sleep(this.everyMs);
      }
    })();
    return this;
  }

  /**
   * Stops publishing; resolves after the last PUBACK. A PUBACK that never comes (the connection
   * closed under it: the client does not reconnect) fails with what it waited for, not a hang.
   */
  async stop(withinMs = 60_000): Promise<{ acked: number; closes: number; errors: string[] }> {
    this.running = false;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.deviceId}: no PUBACK for seq ${this.acked} within ${withinMs} ms (connection closes: ${this.closes}, at ${this.closedAt.join(', ')} ms; client errors: ${this.errors.join('; ') || 'none'})`,
            ),
          ),
        withinMs,
      );
    });
    try {
      await Promise.race([this.loop, late]);
    } finally {
      clearTimeout(timer);
    }
    return { acked: this.acked, closes: this.closes, errors: this.errors };
  }

  /** Its telemetry rows in the gateway's store: how many, and how many distinct seqs. */
  rows(gw: GatewayFixture): { n: number; uniq: number; maxSeq: number | null } {
    return gw
      .db()
      .prepare('SELECT count(*) AS n, count(DISTINCT seq) AS uniq, max(seq) AS maxSeq FROM telemetry WHERE device_id = ? AND boot = 1')
      .get(this.deviceId) as { n: number; uniq: number; maxSeq: number | null };
  }
}

/** Connects an honest kit with its secret and starts it publishing. */
export async function honestKit(gw: GatewayFixture, id = 'kit-honest', everyMs = 100): Promise<HonestKit> {
  const secret = await gw.addKit(id);
  const client = await gw.connect({ clientId: id, username: id, password: secret, keepalive: 30 });
  return new HonestKit(client, id, everyMs).start();
}
