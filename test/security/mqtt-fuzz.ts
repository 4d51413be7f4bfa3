import mqttPacket, { type Packet } from 'mqtt-packet';
import { Prng } from '../../shared/thermal/prng.js';

/**
 * A seeded generator of broken MQTT frames for the gateway's broker. Valid packets come from
 * `mqtt-packet` (the parser Aedes itself uses) and are then broken on purpose. The same seed gives
 * the same frames, so a failure reproduces with `SV_FUZZ_SEED=<seed>`.
 *
 * No frame carries a valid credential, so the gateway must close every fuzz connection and count
 * it exactly once under one reason. Each frame says what is known of that reason by construction:
 * an exact reason, or only `refused` (a mutation may land anywhere: a parse error, a refused
 * CONNECT, or an incomplete packet that the connect timeout ends).
 */
export type Expect = 'malformed' | 'too_large' | 'protocol_version' | 'connect_timeout' | 'refused';

export const FUZZ_KINDS = [
  'bitflip',
  'splice',
  'length-lie',
  'truncated',
  'bogus-varint',
  'huge-length',
  'protocol-name',
  'protocol-level',
  'mqtt5-connect',
  'connect-flags',
  'header-flags',
  'reserved-type',
  'not-connect-first',
  'second-connect',
  'garbage-after-connect',
  'random-bytes',
] as const;
export type FuzzKind = (typeof FUZZ_KINDS)[number];

export interface FuzzFrame {
  index: number;
  kind: FuzzKind;
  expect: Expect;
  bytes: Buffer;
}

export interface FuzzOptions {
  /** The gateway's mqtt.maxPacketBytes: frames announcing more are "too large". */
  maxPacketBytes: number;
  /** A provisioned device id: CONNECTs use it with a wrong secret (and unknown ids otherwise). */
  deviceId: string;
}

/** Remaining-length varint of MQTT (1–4 bytes). */
export function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** Where the body of a frame starts (after the type byte and the remaining-length varint). */
function bodyOffset(frame: Buffer): number {
  let i = 1;
  while (i < frame.length && ((frame[i] as number) & 0x80) !== 0) i++;
  return i + 1;
}

/** Rebuilds a packet with a new fixed header byte and body (remaining length recomputed). */
function frame(header: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([header]), varint(body.length), body]);
}

export class MqttFuzzer {
  private readonly rng: Prng;
  private index = 0;

  constructor(
    readonly seed: number,
    private readonly opts: FuzzOptions,
  ) {
    this.rng = new Prng(seed);
  }

  /** The next `n` frames, spread over every kind (the first pass covers each kind once). */
  frames(n: number): FuzzFrame[] {
    const out: FuzzFrame[] = [];
    for (let i = 0; i < n; i++) {
      const kind = i < FUZZ_KINDS.length ? (FUZZ_KINDS[i] as FuzzKind) : this.pick(FUZZ_KINDS);
      out.push(this.make(kind));
    }
    return out;
  }

  make(kind: FuzzKind): FuzzFrame {
    const [expect, bytes] = this.build(kind);
    return { index: this.index++, kind, expect, bytes };
  }

  private int(n: number): number {
    return Math.floor(this.rng.next() * n);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }

  private bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  /** A CONNECT that can never authenticate: a wrong secret for a known id, an unknown id, or none. */
  private connect(): Buffer {
    const id = this.pick([this.opts.deviceId, 'kit-nobody', 'x', '', 'kit-fuzz-unknown-device-000000001']);
    const creds = this.pick([
      { username: id, password: Buffer.from(`svk_wrong-${this.int(1e6)}`) },
      { username: id },
      {},
      { username: 'someone-else', password: Buffer.from('x') },
    ]);
    const will =
      this.rng.next() < 0.3 ? { will: { topic: `sv/${id}/status`, payload: Buffer.from('{}'), qos: 1 as const, retain: true } } : {};
    return mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: id,
      clean: id === '' || this.rng.next() < 0.8, // mqtt-packet refuses to write an empty id without a clean session
      keepalive: this.pick([0, 30, 65535]),
      ...creds,
      ...will,
    } as Packet);
  }

  /** Any valid packet a client could send (or a server packet a client must not send). */
  private valid(): Buffer {
    const id = this.opts.deviceId;
    const messageId = 1 + this.int(65535);
    const choices: (() => Packet)[] = [
      () => ({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: id, clean: true, keepalive: 30 }) as Packet,
      () =>
        ({
          cmd: 'publish',
          topic: `sv/${id}/telemetry`,
          payload: Buffer.from(JSON.stringify({ v: 1, boot: 1, seq: this.int(1e6), ts: null, tempC: 55, sensor: 'ok', heater: true })),
          qos: this.pick([0, 1] as const),
          messageId,
          retain: false,
          dup: false,
        }) as Packet,
      () => ({ cmd: 'subscribe', messageId, subscriptions: [{ topic: this.pick(['#', `sv/${id}/cmd`, 'sv/+/cmd']), qos: 1 }] }) as Packet,
      () => ({ cmd: 'unsubscribe', messageId, unsubscriptions: ['#'] }) as Packet,
      () => ({ cmd: 'puback', messageId }) as Packet,
      () => ({ cmd: 'pubrel', messageId }) as Packet,
      () => ({ cmd: 'pingreq' }) as Packet,
      () => ({ cmd: 'disconnect' }) as Packet,
      () => ({ cmd: 'connack', returnCode: 0, sessionPresent: false }) as Packet,
      () => ({ cmd: 'suback', messageId, granted: [1] }) as Packet,
    ];
    return this.rng.next() < 0.5 ? this.connect() : mqttPacket.generate(this.pick(choices)());
  }

  private build(kind: FuzzKind): [Expect, Buffer] {
    switch (kind) {
      case 'bitflip': {
        const b = Buffer.from(this.valid());
        const flips = 1 + this.int(8);
        for (let i = 0; i < flips; i++) {
          const at = this.int(b.length);
          b[at] = (b[at] as number) ^ (1 << this.int(8));
        }
        return ['refused', b];
      }
      case 'splice': {
        const a = this.valid();
        const b = this.valid();
        return ['refused', Buffer.concat([a.subarray(0, 1 + this.int(a.length)), b.subarray(this.int(b.length))])];
      }
      case 'length-lie': {
        // The remaining length says more or less than the body holds (under the size limit).
        const b = this.connect();
        const body = b.subarray(bodyOffset(b));
        const lie = this.rng.next() < 0.5 ? this.int(body.length) : body.length + 1 + this.int(200);
        return ['refused', Buffer.concat([Buffer.from([b[0] as number]), varint(lie), body])];
      }
      case 'truncated': {
        // A valid header announcing a body that never fully arrives: only the connect timeout ends it.
        const b = this.connect();
        return ['connect_timeout', b.subarray(0, 1 + this.int(b.length - 1))];
      }
      case 'bogus-varint': {
        // Five to eight length bytes, all with the continuation bit: no valid MQTT length is that long.
        const n = 5 + this.int(4);
        const len = Buffer.alloc(n);
        for (let i = 0; i < n; i++) len[i] = 0x80 | this.int(128);
        return ['malformed', Buffer.concat([Buffer.from([this.pick([0x10, 0x30, 0x32, 0x82, 0xc0])]), len, this.bytes(this.int(16))])];
      }
      case 'huge-length': {
        // A well-formed length above the limit, up to the largest MQTT allows (256 MiB − 1).
        const max = 268_435_455;
        const declared = this.opts.maxPacketBytes + this.int(max - this.opts.maxPacketBytes);
        return [
          'too_large',
          Buffer.concat([Buffer.from([this.pick([0x10, 0x30, 0x32, 0x82])]), varint(declared), this.bytes(this.int(64))]),
        ];
      }
      case 'protocol-name': {
        const name = this.pick(['MQTX', 'mqtt', 'MQT', 'MQTTT', '', 'HTTP', 'MQIsdX', '\u0000QTT', 'MQTT\u0000']);
        const b = this.connect();
        const body = b.subarray(bodyOffset(b) + 6); // after the 2-byte length and "MQTT"
        const nameBytes = Buffer.from(name, 'utf8');
        const len = Buffer.alloc(2);
        len.writeUInt16BE(nameBytes.length);
        return ['malformed', frame(0x10, Buffer.concat([len, nameBytes, body]))];
      }
      case 'protocol-level': {
        const b = Buffer.from(this.connect());
        b[bodyOffset(b) + 6] = this.pick([0, 1, 2, 6, 7, 42, 127, 128, 129, 130, 134, 255]);
        return ['malformed', b];
      }
      case 'mqtt5-connect': {
        // MQTT 5 is served through the adapter (gateway/broker/mqtt5/): without credentials, a refused CONNECT.
        const id = this.pick([this.opts.deviceId, 'kit-nobody']);
        return [
          'refused',
          mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: id, clean: true, keepalive: 30 }),
        ];
      }
      case 'connect-flags': {
        // Reserved bit 0 set, or will QoS / will retain without the will flag [MQTT-3.1.2-3, -11, -15].
        const b = Buffer.from(
          mqttPacket.generate({
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 4,
            clientId: 'kit-nobody',
            clean: true,
            keepalive: 30,
          }),
        );
        const at = bodyOffset(b) + 7;
        b[at] = (b[at] as number) | this.pick([0x01, 0x08, 0x10, 0x18, 0x20, 0x21]);
        return ['malformed', b];
      }
      case 'header-flags': {
        // Fixed-header flags other than the required ones, or a PUBLISH with QoS 3.
        const b = Buffer.from(this.rng.next() < 0.3 ? this.valid() : this.connect());
        const type = (b[0] as number) >> 4;
        if (type === 3) b[0] = (b[0] as number) | 0x06;
        else {
          const required = type === 6 || type === 8 || type === 10 ? 2 : 0;
          let flags = 1 + this.int(15);
          if (flags === required) flags ^= 1;
          b[0] = (type << 4) | flags;
        }
        return ['malformed', b];
      }
      case 'reserved-type': {
        // Type 0 is reserved; 15 (AUTH) exists only in MQTT 5.
        return ['malformed', frame(this.pick([0x00, 0x0f, 0xf0]), this.bytes(this.int(32)))];
      }
      case 'not-connect-first': {
        // Anything but CONNECT as the first packet [MQTT-3.1.0-1].
        let b = this.valid();
        while ((b[0] as number) >> 4 === 1) b = this.valid();
        return ['malformed', b];
      }
      case 'second-connect':
        return ['refused', Buffer.concat([this.connect(), this.connect()])];
      case 'garbage-after-connect':
        return ['refused', Buffer.concat([this.connect(), this.bytes(1 + this.int(256))])];
      case 'random-bytes':
        return ['refused', this.bytes(1 + this.int(512))];
    }
  }
}

/** A seed from SV_FUZZ_SEED, or a fresh one (printed by the test so that a failure reproduces). */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = env.SV_FUZZ_SEED;
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) return Number(fromEnv) >>> 0;
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** How many frames to send: SV_FUZZ_FRAMES, else the CI default. */
export function fuzzFrameCount(env: NodeJS.ProcessEnv = process.env, ciDefault = 3000): number {
  const n = Number(env.SV_FUZZ_FRAMES);
  return Number.isInteger(n) && n > 0 ? n : ciDefault;
}
