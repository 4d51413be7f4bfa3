import mqtt, { type MqttClient } from 'mqtt';
import { Command } from '../../shared/protocol/messages.js';
import { ThermalSim } from '../../shared/thermal/index.js';
import { topics } from '../../shared/topics.js';
import type { DemoKit } from './kits.js';

export interface SimKitOptions {
  kit: DemoKit;
  mqttUrl: string;
  ca: Buffer;
  secret: string;
  /** Persisted across demo restarts: a kit reboot bumps boot (PROTOCOL: (boot, seq) identifies a reading). */
  boot: number;
  /** The bath temperature when the demo stopped last (the water cools while it is off, but not to ambient in a minute). */
  startC?: number;
  onError?: (err: Error) => void;
}

/**
 * One simulated kit in real time: the thermal model (shared/thermal) stepped by the wall clock,
 * a real MQTT/TLS client that publishes telemetry once a second (QoS 1, as the firmware does), a
 * retained status with a Last Will, and commands answered with acks like the firmware.
 */
export class SimKit {
  readonly sim: ThermalSim;
  readonly id: string;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastStepMs = 0;

  constructor(private readonly o: SimKitOptions) {
    this.id = o.kit.id;
    this.sim = new ThermalSim({
      ...o.kit.params,
      boot: o.boot,
      startEpochMs: Date.now(),
      ...(o.startC !== undefined ? { startC: o.startC } : {}),
    });
  }

  async start(): Promise<void> {
    const { id } = this;
    const status = (state: 'online' | 'offline') => JSON.stringify({ v: 1, state, boot: this.sim.boot, fw: 'sim-1.0', profile: 'toggle' });
    const client = mqtt.connect(this.o.mqttUrl, {
      ca: this.o.ca,
      servername: 'localhost',
      clientId: id,
      username: id,
      password: this.o.secret,
      protocolVersion: 4,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      will: { topic: topics.status(id), payload: Buffer.from(status('offline')), qos: 1, retain: true },
    });
    this.client = client;
    client.on('error', (err) => this.o.onError?.(err));
    client.on('connect', () => {
      client.publish(topics.status(id), status('online'), { qos: 1, retain: true });
      client.subscribe(topics.cmd(id), { qos: 1 });
    });
    client.on('message', (_topic, payload) => this.onCommand(payload));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    this.lastStepMs = Date.now();
    this.timer = setInterval(() => this.tick(), this.sim.p.intervalMs);
  }

  private tick(): void {
    const now = Date.now();
    this.sim.step(now - this.lastStepMs);
    this.lastStepMs = now;
    const m = this.sim.telemetry();
    // Telemetry carries the wall clock (the model's clock started at Date.now() and runs in real time).
    if (this.client?.connected) this.client.publish(topics.telemetry(this.id), JSON.stringify({ ...m, ts: now }), { qos: 1 });
  }

  private onCommand(payload: Buffer): void {
    let cmd: Command;
    try {
      cmd = Command.parse(JSON.parse(payload.toString()));
    } catch {
      return; // the firmware drops what it cannot parse; the gateway's ack timeout covers it
    }
    const ack = this.sim.command({ op: cmd.op, ...(cmd.expect ? { expect: cmd.expect } : {}) });
    const body = JSON.stringify({ v: 1, id: cmd.id, ok: ack.ok, heater: ack.heater, ...(ack.ok ? {} : { err: 'refused' }) });
    // As the firmware does: the Ack leaves after the servo's motion (the model runs in real time).
    const send = () => {
      if (this.client?.connected) this.client.publish(topics.ack(this.id), body, { qos: 1 });
    };
    if (ack.afterMs === 0) send();
    else setTimeout(send, ack.afterMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const c = this.client;
    if (!c) return;
    // A clean stop says "offline" itself (the Last Will is only for an unclean drop).
    if (c.connected)
      await c
        .publishAsync(
          topics.status(this.id),
          JSON.stringify({ v: 1, state: 'offline', boot: this.sim.boot, fw: 'sim-1.0', profile: 'toggle' }),
          { qos: 1, retain: true },
        )
        .catch(() => {});
    await c.endAsync(false).catch(() => {});
  }
}
