import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import mqttPacket from 'mqtt-packet';

/**
 * The lean client model: MQTT 3.1.1 on mqtt-packet over a raw (TLS) socket, no promises and no
 * timers per message, so that one process can drive thousands of kits and the broker, not the
 * generator, sets the limit. The second model beside mqtt.js (design: cross-check the client).
 */
export interface LeanOptions {
  host: string;
  port: number;
  /** CA to trust (TLS); absent = plain TCP. */
  ca?: Buffer;
  /** Source address to connect from (e.g. 127.0.0.23: kits on a LAN each have their own address). */
  localAddress?: string;
  clientId: string;
  username?: string;
  password?: string;
  keepaliveS?: number;
  will?: { topic: string; payload: string; qos: 0 | 1; retain: boolean };
  onMessage?: (topic: string, payload: Buffer) => void;
  onClose?: (err?: Error) => void;
}

type AckCallback = (err: Error | null) => void;

export class LeanClient {
  private socket: Socket | undefined;
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  private readonly pending = new Map<number, AckCallback>();
  private nextId = 1;
  private ping: NodeJS.Timeout | undefined;
  connected = false;

  constructor(private readonly o: LeanOptions) {}

  get clientId(): string {
    return this.o.clientId;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  connect(timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const o = this.o;
      const { localAddress } = o;
      // tls.connect takes no source address: open the TCP socket from it and run TLS over that.
      const tcp = localAddress ? netConnect({ port: o.port, host: o.host, localAddress }) : undefined;
      const socket = o.ca
        ? tlsConnect({ host: o.host, port: o.port, ca: o.ca, servername: 'localhost', ...(tcp ? { socket: tcp } : {}) })
        : (tcp ?? netConnect(o.port, o.host));
      if (tcp && tcp !== socket) tcp.once('error', (err) => socket.destroy(err));
      this.socket = socket;
      socket.setNoDelay(true);
      const timer = setTimeout(() => fail(new Error('connect timeout')), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.once(o.ca ? 'secureConnect' : 'connect', () => {
        socket.write(
          mqttPacket.generate({
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 4,
            clientId: o.clientId,
            clean: true,
            keepalive: o.keepaliveS ?? 30,
            ...(o.username === undefined ? {} : { username: o.username }),
            ...(o.password === undefined ? {} : { password: Buffer.from(o.password) }),
            ...(o.will
              ? { will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: o.will.qos, retain: o.will.retain } }
              : {}),
          }),
        );
      });
      socket.on('data', (chunk) => this.parser.parse(chunk));
      socket.on('error', (err) => (this.connected ? this.onClose(err) : fail(err)));
      socket.on('close', () => (this.connected ? this.onClose() : fail(new Error('closed before CONNACK'))));
      this.parser.on('error', (err) => socket.destroy(err));
      this.parser.on('packet', (p: mqttPacket.Packet) => {
        switch (p.cmd) {
          case 'connack':
            clearTimeout(timer);
            if (p.returnCode !== 0) return fail(new Error(`CONNACK refused: ${p.returnCode}`));
            this.connected = true;
            this.ping = setInterval(() => socket.write(mqttPacket.generate({ cmd: 'pingreq' })), (o.keepaliveS ?? 30) * 500);
            this.ping.unref();
            return resolve();
          case 'puback': {
            const cb = this.pending.get(p.messageId as number);
            this.pending.delete(p.messageId as number);
            return cb?.(null);
          }
          case 'publish':
            if (p.qos === 1) socket.write(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId as number }));
            return this.o.onMessage?.(p.topic, p.payload as Buffer);
          case 'suback': {
            const cb = this.pending.get(p.messageId as number);
            this.pending.delete(p.messageId as number);
            return cb?.((p.granted as number[]).some((g) => g === 128) ? new Error('subscription refused') : null);
          }
          default:
        }
      });
    });
  }

  /** QoS 1: `cb` runs on PUBACK (or with an error when the connection is lost). QoS 0: at once. */
  publish(topic: string, payload: string | Buffer, qos: 0 | 1, cb: AckCallback, retain = false): void {
    if (!this.connected || !this.socket) {
      cb(new Error('not connected'));
      return;
    }
    if (qos === 0) {
      this.socket.write(mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 0, retain, dup: false }));
      cb(null);
      return;
    }
    const messageId = this.takeId();
    this.pending.set(messageId, cb);
    this.socket.write(mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 1, messageId, retain, dup: false }));
  }

  subscribe(topic: string, cb: AckCallback): void {
    if (!this.socket) {
      cb(new Error('not connected'));
      return;
    }
    const messageId = this.takeId();
    this.pending.set(messageId, cb);
    this.socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos: 1 }] }));
  }

  end(): void {
    if (this.socket && this.connected) this.socket.end(mqttPacket.generate({ cmd: 'disconnect' }));
    this.connected = false;
    clearInterval(this.ping);
  }

  destroy(): void {
    this.connected = false;
    clearInterval(this.ping);
    this.socket?.destroy();
  }

  private takeId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = this.nextId === 65535 ? 1 : this.nextId + 1;
      if (!this.pending.has(id)) return id;
    }
  }

  private onClose(err?: Error): void {
    if (!this.connected) return;
    this.connected = false;
    clearInterval(this.ping);
    const lost = new Error(err ? `connection lost: ${err.message}` : 'connection closed');
    for (const cb of this.pending.values()) cb(lost);
    this.pending.clear();
    this.o.onClose?.(err);
  }
}
