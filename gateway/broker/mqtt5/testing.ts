import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { Aedes } from 'aedes';
import type { IClientOptions, MqttClient } from 'mqtt';
import mqttPacket, { type IConnackPacket, type Packet } from 'mqtt-packet';
import type { GatewayFixture } from '../../testing/fixture.js';

/** Helpers of the MQTT 5 adapter's tests (real gateway, real TLS, mqtt.js with protocolVersion 5). */

export function connectV5(gw: GatewayFixture, id: string, secret: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return gw.connect({ protocolVersion: 5, clientId: id, username: id, password: secret, ...opts });
}

/** The in-process broker's Aedes (the gateway's broker front exposes only `publish`). */
export function aedesOf(gw: GatewayFixture): Aedes {
  return (gw.gateway.broker as unknown as { aedes: Aedes }).aedes;
}

/** Publishes a command as the gateway does (client null), resolving once Aedes has routed it. */
export function publishCommand(gw: GatewayFixture, deviceId: string, payload: string): Promise<void> {
  return new Promise((resolve, reject) =>
    aedesOf(gw).publish(
      { cmd: 'publish', topic: `sv/${deviceId}/cmd`, payload: Buffer.from(payload), qos: 1, retain: false, dup: false },
      (err?: Error) => (err ? reject(err) : resolve()),
    ),
  );
}

/** Messages Aedes still holds for a client, unacknowledged (its outgoing store). */
export async function unacked(gw: GatewayFixture, clientId: string): Promise<number> {
  const { persistence } = aedesOf(gw) as unknown as { persistence: { outgoingStream(c: { id: string }): AsyncIterable<unknown> } };
  let n = 0;
  for await (const _ of persistence.outgoingStream({ id: clientId })) n++;
  return n;
}

/** A raw MQTT 5 connection over TLS: writes bytes, collects the v5 packets the gateway sends. */
export interface RawV5 {
  socket: TLSSocket;
  packets: Packet[];
  send(p: Packet | Buffer): void;
  /** Resolves with the first packet of `cmd` (already received or next). */
  next(cmd: Packet['cmd']): Promise<Packet>;
  /** The CONNACK's reason code and properties. */
  connack(): Promise<IConnackPacket>;
  /** Resolves when the gateway has closed the connection. */
  closed: Promise<void>;
}

export function rawV5(gw: GatewayFixture): Promise<RawV5> {
  return rawSession(gw, 5);
}

/** The same for either MQTT version (3.1.1 = 4). */
export function rawSession(gw: GatewayFixture, protocolVersion: 4 | 5): Promise<RawV5> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ port: gw.mqttPort, host: '127.0.0.1', ca: gw.ca, servername: 'localhost' });
    const parser = mqttPacket.parser({ protocolVersion });
    const packets: Packet[] = [];
    const waiting: { cmd: Packet['cmd']; resolve: (p: Packet) => void }[] = [];
    parser.on('packet', (p: Packet) => {
      packets.push(p);
      for (const w of waiting.filter((x) => x.cmd === p.cmd)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(p);
      }
    });
    socket.on('data', (b: Buffer) => parser.parse(b));
    const next = (cmd: Packet['cmd']): Promise<Packet> => {
      const seen = packets.find((p) => p.cmd === cmd);
      return seen ? Promise.resolve(seen) : new Promise((r) => waiting.push({ cmd, resolve: r }));
    };
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      socket.removeListener('error', reject);
      socket.on('error', () => {});
      resolve({
        socket,
        packets,
        closed,
        send: (p) => socket.write(Buffer.isBuffer(p) ? p : mqttPacket.generate(p, { protocolVersion })),
        next,
        connack: () => next('connack') as Promise<IConnackPacket>,
      });
    });
  });
}

export const v5Connect = (id: string, secret: string): Packet => ({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: 5,
  clientId: id,
  username: id,
  password: Buffer.from(secret),
  clean: true,
  keepalive: 30,
});
