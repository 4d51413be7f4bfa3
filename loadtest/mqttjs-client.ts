import mqtt, { type MqttClient } from 'mqtt';
import type { LeanOptions } from './lean-client.js';

type AckCallback = (err: Error | null) => void;

/**
 * The second client model for the design's cross-check: MQTT.js behind the LeanClient's
 * interface. A result that differs between the two models points at the client, not the gateway.
 */
export class MqttJsClient {
  private client: MqttClient | undefined;
  private pending = 0;
  connected = false;

  constructor(private readonly o: LeanOptions) {}

  get clientId(): string {
    return this.o.clientId;
  }

  get inFlight(): number {
    return this.pending;
  }

  connect(timeoutMs = 30_000): Promise<void> {
    const o = this.o;
    return new Promise((resolve, reject) => {
      const c = mqtt.connect(`${o.ca ? 'mqtts' : 'mqtt'}://${o.host}:${o.port}`, {
        clientId: o.clientId,
        ...(o.username === undefined ? {} : { username: o.username }),
        ...(o.password === undefined ? {} : { password: o.password }),
        ...(o.ca ? { ca: o.ca, servername: 'localhost' } : {}),
        protocolVersion: 4,
        keepalive: o.keepaliveS ?? 30,
        reconnectPeriod: 0,
        connectTimeout: timeoutMs,
      });
      this.client = c;
      c.once('connect', () => {
        this.connected = true;
        resolve();
      });
      c.on('error', (err) => (this.connected ? undefined : reject(err)));
      c.on('close', () => {
        if (!this.connected) return reject(new Error('closed before CONNACK'));
        this.connected = false;
        o.onClose?.();
      });
      c.on('message', (topic, payload) => o.onMessage?.(topic, payload));
    });
  }

  publish(topic: string, payload: string | Buffer, qos: 0 | 1, cb: AckCallback, retain = false): void {
    if (!this.client || !this.connected) {
      cb(new Error('not connected'));
      return;
    }
    this.pending++;
    this.client.publish(topic, payload, { qos, retain }, (err) => {
      this.pending--;
      cb(err ?? null);
    });
  }

  subscribe(topic: string, cb: AckCallback): void {
    if (!this.client) {
      cb(new Error('not connected'));
      return;
    }
    this.client.subscribe(topic, { qos: 1 }, (err, granted) =>
      cb(err ?? (granted?.some((g) => g.qos === 128) ? new Error('subscription refused') : null)),
    );
  }

  end(): void {
    this.connected = false;
    this.client?.end();
  }

  destroy(): void {
    this.connected = false;
    this.client?.end(true);
  }
}
