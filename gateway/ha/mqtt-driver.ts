import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../../shared/log.js';

export interface HaMqttOptions {
  url: string;
  username?: string;
  password?: string;
  clientId: string;
  /** Retained Last Will: HA marks every entity unavailable when the gateway drops off. */
  will: { topic: string; payload: string };
  /** Subscribed (QoS 1) on every connect. */
  subscriptions: string[];
  backoff: { baseMs: number; maxMs: number };
  log: Logger;
  onConnect: () => void;
  /** `retained`: the broker's stored message, sent because of a (re)subscription (MQTT 3.1.1 §3.3.1.3). */
  onMessage: (topic: string, payload: string, retained: boolean) => void;
  /** Each failed connection attempt or lost connection, with why (counted in /metrics). */
  onError: (reason: string) => void;
}

/**
 * The thin MQTT client to the user's broker (e.g. HA's Mosquitto add-on). Nothing is queued
 * while disconnected (publish returns false and the bridge republishes everything on the next
 * connect), so a broker that is down costs no memory and never blocks the gateway. Reconnects
 * with exponential backoff and jitter.
 */
export class HaMqtt {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopping = false;

  constructor(private readonly o: HaMqttOptions) {}

  get connected(): boolean {
    return this.client?.connected === true;
  }

  start(): void {
    const o = this.o;
    const client = mqtt.connect(o.url, {
      clientId: o.clientId,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      connectTimeout: 10_000,
      reconnectPeriod: 0, // our own backoff below
      queueQoSZero: false,
      will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: 1, retain: true },
    });
    this.client = client;
    client.on('connect', () => {
      this.attempt = 0;
      o.log.info({ url: redact(o.url) }, 'home assistant: connected to the MQTT broker');
      client.subscribe(o.subscriptions, { qos: 1 }, (err) => {
        if (err) o.onError(`subscribe: ${err.message}`);
      });
      o.onConnect();
    });
    client.on('message', (topic, payload, packet) => o.onMessage(topic, payload.toString('utf8'), packet.retain));
    // mqtt.js reports socket errors (ECONNREFUSED …) only by closing, a refused CONNACK as an
    // error then a close: each close is one failure, with the last error as its reason.
    let lastError: string | undefined;
    let wasConnected = false;
    client.on('connect', () => {
      wasConnected = true;
      lastError = undefined;
    });
    client.on('error', (err) => {
      lastError = errorReason(err);
    });
    client.on('close', () => {
      if (this.stopping) return;
      const reason = lastError ?? (wasConnected ? 'connection lost' : 'connect failed');
      if (this.attempt === 0) o.log.warn({ url: redact(o.url), reason }, 'home assistant: MQTT broker unreachable; retrying');
      o.onError(reason);
      wasConnected = false;
      lastError = undefined;
      this.scheduleReconnect();
    });
  }

  /** false when not connected (nothing is queued). */
  publish(topic: string, payload: string, retain: boolean, qos: 0 | 1, done?: (ok: boolean) => void): boolean {
    const c = this.client;
    if (!c?.connected) return false;
    c.publish(topic, payload, { qos, retain }, (err) => done?.(!err));
    return true;
  }

  /** Never waits more than `graceMs` on the broker (a frozen broker must not hold up the gateway's stop). */
  async stop(graceMs = 2000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const c = this.client;
    if (!c) return;
    const goodbye = async () => {
      if (c.connected) await c.publishAsync(this.o.will.topic, this.o.will.payload, { qos: 1, retain: true });
      await c.endAsync(false);
    };
    // A clean goodbye: HA sees the bridge go offline at once (the Will is only sent on a drop).
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const r = await Promise.race([goodbye().catch(() => 'failed' as const), late]);
    clearTimeout(timer);
    if (r !== undefined) await c.endAsync(true).catch(() => {});
  }

  private scheduleReconnect(): void {
    if (this.stopping) return;
    clearTimeout(this.timer);
    const delay = backoffDelay(this.attempt, this.o.backoff, Math.random());
    this.attempt++;
    this.timer = setTimeout(() => {
      if (!this.stopping) this.client?.reconnect();
    }, delay);
    this.timer.unref();
  }
}

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3) by name; this driver speaks 3.1.1 (protocolVersion 4). */
export const CONNACK_REFUSED: Readonly<Record<number, string>> = {
  1: 'Unacceptable protocol version',
  2: 'Identifier rejected',
  3: 'Server unavailable',
  4: 'Bad username or password',
  5: 'Not authorized',
};

/**
 * The reason of a failed connection, as a metric label and in the log: a refused CONNACK by its
 * name ("Not authorized"), a socket error by its code (ECONNREFUSED), else the message.
 */
export function errorReason(err: Error & { code?: unknown }): string {
  if (typeof err.code === 'number') return CONNACK_REFUSED[err.code] ?? `CONNACK ${err.code}`;
  return typeof err.code === 'string' ? err.code : err.message;
}

/** Exponential backoff with jitter: attempt n waits between half and all of min(max, base·2ⁿ). */
export function backoffDelay(attempt: number, b: { baseMs: number; maxMs: number }, random: number): number {
  const ceiling = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}

/** The URL without its password, for logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}
