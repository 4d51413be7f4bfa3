import mqttPacket, { type Packet } from 'mqtt-packet';
import { Prng } from '../../shared/thermal/prng.js';
import { varint } from './mqtt-fuzz.js';

/**
 * Broken MQTT 5 packets for an *authenticated* MQTT 5 session (the adapter in
 * gateway/broker/mqtt5/ parses them itself, before Aedes). mqtt-fuzz.ts covers what comes before
 * authentication. Every frame keeps its fixed header's type byte, so each is exactly one packet
 * of a type a client may send (or a frame whose body never completes), never a DISCONNECT in
 * disguise: a connection the gateway closes is always a refusal it must count.
 */
export type Expect5 = 'closed' | 'too_large' | 'either';

export const FUZZ5_KINDS = [
  'bitflip-body',
  'random-body',
  'bad-property',
  'topic-alias',
  'length-short',
  'length-long',
  'huge-length',
] as const;
export type Fuzz5Kind = (typeof FUZZ5_KINDS)[number];

export interface Fuzz5Frame {
  index: number;
  kind: Fuzz5Kind;
  expect: Expect5;
  bytes: Buffer;
}

function bodyOffset(frame: Buffer): number {
  let i = 1;
  while (i < frame.length && ((frame[i] as number) & 0x80) !== 0) i++;
  return i + 1;
}

export class Mqtt5SessionFuzzer {
  private readonly rng: Prng;
  private index = 0;

  constructor(
    seed: number,
    private readonly opts: { deviceId: string; maxPacketBytes: number },
  ) {
    this.rng = new Prng(seed);
  }

  frames(n: number): Fuzz5Frame[] {
    return Array.from({ length: n }, (_, i) => this.make(i < FUZZ5_KINDS.length ? (FUZZ5_KINDS[i] as Fuzz5Kind) : this.pick(FUZZ5_KINDS)));
  }

  private make(kind: Fuzz5Kind): Fuzz5Frame {
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

  /** A valid MQTT 5 PUBLISH with properties (ASCII payload), SUBSCRIBE or UNSUBSCRIBE. */
  private valid(): Buffer {
    const id = this.opts.deviceId;
    const messageId = 1 + this.int(65535);
    const packets: (() => Packet)[] = [
      () => ({
        cmd: 'publish',
        topic: this.pick([`sv/${id}/telemetry`, `sv/${id}/status`, `sv/${id}/ack`, 'sv/other-kit/telemetry']),
        payload: Buffer.from(JSON.stringify({ v: 1, boot: 1, seq: this.int(1e6), ts: null, tempC: 55, sensor: 'ok', heater: true })),
        qos: this.pick([0, 1] as const),
        messageId,
        retain: false,
        dup: false,
        properties: {
          payloadFormatIndicator: true,
          messageExpiryInterval: this.int(3600),
          contentType: 'application/json',
          userProperties: { k: 'v' },
          ...(this.rng.next() < 0.5 ? { correlationData: this.bytes(4), responseTopic: `sv/${id}/ack` } : {}),
        },
      }),
      () => ({
        cmd: 'subscribe',
        messageId,
        subscriptions: [{ topic: this.pick(['#', `sv/${id}/cmd`, 'sv/+/cmd']), qos: 1, nl: true, rap: false, rh: 0 }],
        properties: { subscriptionIdentifier: 1 + this.int(1000), userProperties: { a: 'b' } },
      }),
      () => ({ cmd: 'unsubscribe', messageId, unsubscriptions: [`sv/${id}/cmd`], properties: { userProperties: { a: 'b' } } }),
    ];
    return mqttPacket.generate(this.pick(packets)(), { protocolVersion: 5 });
  }

  private publishWithRawProperties(props: Buffer, topic = `sv/${this.opts.deviceId}/telemetry`): Buffer {
    const t = Buffer.from(topic);
    const tl = Buffer.alloc(2);
    tl.writeUInt16BE(t.length);
    const body = Buffer.concat([tl, t, Buffer.from([0x00, 0x01]), varint(props.length), props, Buffer.from('{}')]);
    return Buffer.concat([Buffer.from([0x32]), varint(body.length), body]);
  }

  private build(kind: Fuzz5Kind): [Expect5, Buffer] {
    switch (kind) {
      case 'bitflip-body': {
        const b = Buffer.from(this.valid());
        const from = bodyOffset(b);
        const flips = 1 + this.int(6);
        for (let i = 0; i < flips; i++) {
          const at = from + this.int(b.length - from);
          b[at] = (b[at] as number) ^ (1 << this.int(8));
        }
        return ['either', b];
      }
      case 'random-body': {
        const body = this.bytes(this.int(200));
        return ['either', Buffer.concat([Buffer.from([this.pick([0x30, 0x32, 0x82, 0xa2])]), varint(body.length), body])];
      }
      case 'bad-property': {
        // An unknown property id, or one that MQTT 5 allows only in CONNECT/CONNACK (§2.2.2.2).
        const props = this.pick([
          Buffer.from([0x7f, 0x00]),
          Buffer.from([0x11, 0x00, 0x00, 0x00, 0x10]), // Session Expiry Interval
          Buffer.from([0x21, 0x00, 0x10]), // Receive Maximum
          Buffer.from([0x27, 0x00, 0x00, 0x10, 0x00]), // Maximum Packet Size
        ]);
        return ['closed', this.publishWithRawProperties(props)];
      }
      case 'topic-alias': {
        // Alias 0 (invalid), or an alias never set with an empty topic [MQTT-3.3.2-7, -8].
        const alias = this.pick([0, 1 + this.int(65535)]);
        const props = Buffer.from([0x23, alias >> 8, alias & 0xff]);
        return ['closed', this.publishWithRawProperties(props, '')];
      }
      case 'length-short': {
        // The remaining length stops inside the payload: the rest (ASCII JSON) follows as junk.
        const b = this.publishWithRawProperties(Buffer.alloc(0));
        const off = bodyOffset(b);
        const body = b.subarray(off);
        const lie = body.length - 1 - this.int(2);
        return ['either', Buffer.concat([Buffer.from([b[0] as number]), varint(lie), body])];
      }
      case 'length-long': {
        // A body that never completes: only the keepalive ends the connection.
        const b = this.valid();
        const body = b.subarray(bodyOffset(b));
        return ['closed', Buffer.concat([Buffer.from([b[0] as number]), varint(body.length + 1 + this.int(100)), body])];
      }
      case 'huge-length': {
        const declared = this.opts.maxPacketBytes + 1 + this.int(268_435_455 - this.opts.maxPacketBytes - 1);
        return ['too_large', Buffer.concat([Buffer.from([this.pick([0x30, 0x32, 0x82])]), varint(declared), this.bytes(this.int(64))])];
      }
    }
  }
}
